import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  checkHealth,
  describeServer,
  ErrorReason,
  readStatusDetails,
  type RunningGrpcService,
} from '@nextx/grpc';
import { ModelRepository, ReferenceClassifier } from '@nextx/runtime';
import { clipQuality, poolClipQuality, type ClipQuality } from '@nextx/video';
import { decodePng, hasH264Encoder, probeClip } from '@nextx/media';
import { commonJob, models, type video } from '@nextx/proto';
import { GifReader } from 'omggif';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVideoConfig } from '../src/config';
import type { GenerationService } from '@nextx/serving';
import type { VideoTasks } from '@nextx/video';
import { VIDEO_GENERATION } from '../src/tokens';
import { clip, generate, NO_SAMPLING, startVideoService, type Client } from './support';

const { ModelFamily } = models;
const pixelsOf = (frames: video.Frame[]) => frames.map((f) => decodePng(f.png).pixels);

describe('video-service over gRPC with the reference video models', () => {
  let service: RunningGrpcService;
  let client: Client;
  let classifier: ReferenceClassifier;

  beforeAll(async () => {
    ({ service, client } = await startVideoService({ VIDEO_MAX_FRAMES: '64' }));
    const repository = new ModelRepository(loadVideoConfig({}).video.modelsDir);
    classifier = new ReferenceClassifier(
      (await repository.load('mnist-classifier')).graph('classifier'),
    );
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  it('nbp-mmnist: per-frame classifier agreement over the service reaches the recorded figure', async () => {
    const { model } = await client.unary('getModel', {
      model: { name: 'nbp-mmnist', version: '' },
    });
    const recorded = model!.quality!.classAgreement!;
    const qualities: ClipQuality[] = [];
    for (let i = 0; i < 24; i++) {
      // One or two digits, half each, as in the recorded eval.
      const digits = i % 2 === 0 ? [i % 10, (i * 7 + 3) % 10] : [i % 10];
      const out = await generate(client, { digits, frames: 16, seed: 500 + i });
      const used = out.clip.used!;
      const quality = await clipQuality(
        pixelsOf(out.frames),
        {
          digits: used.digits,
          motions: used.motions,
          frameSize: model!.video!.frameSize,
          maxPosition: model!.video!.maxPosition,
        },
        classifier,
      );
      qualities.push(quality);
    }
    const { agreement, counted, clips, standardError: se } = poolClipQuality(qualities, recorded);
    console.log(
      `nbp-mmnist over the service: per-frame agreement ${agreement.toFixed(3)} on ${counted} crops of ${clips} clips, standard error ${se.toFixed(3)} (model.json ${recorded})`,
    );
    expect(counted).toBeGreaterThan(200);
    expect(agreement).toBeGreaterThanOrEqual(recorded - 3 * se);
  }, 300_000);

  it('same seed ⇒ identical frames; another seed ⇒ different frames; the spec used comes back', async () => {
    const a = await generate(client, { seed: 42, frames: 6 });
    const b = await generate(client, { seed: 42, frames: 6 });
    const c = await generate(client, { seed: 43, frames: 6 });
    const bytes = (x: typeof a) => x.frames.map((f) => Buffer.from(f.png).toString('base64'));
    expect(bytes(a)).toEqual(bytes(b));
    expect(bytes(a)).not.toEqual(bytes(c));
    expect(a.clip.used).toMatchObject({ seed: 42, digits: [3, 7], frames: 6 });
    expect(a.clip.used!.motions).toHaveLength(2);
    expect(a.clip.used!.sampling!.temperature).toBeGreaterThan(0);
  });

  it('a clip four times the context comes out whole: every frame streamed in order, then the encoded clip', async () => {
    const { model } = await client.unary('getModel', {
      model: { name: 'nbp-mmnist', version: '' },
    });
    const frames = 4 * model!.video!.contextFrames;
    const out = await generate(client, { frames, seed: 9 }, 'gif');
    expect(out.frames.map((f) => f.index)).toEqual(Array.from({ length: frames }, (_, i) => i));
    expect(out.progress).toEqual(Array.from({ length: frames }, (_, i) => i + 1));
    for (const f of out.frames) expect(decodePng(f.png)).toMatchObject({ width: 64, height: 64 });
    // NBP: one token step per token of frame 0, then one block step per frame.
    expect(out.clip.steps).toBe(model!.video!.tokensPerFrame + frames - 1);
    expect(out.clip).toMatchObject({ format: 'gif', mimeType: 'image/gif', frames });
    expect(new GifReader(new Uint8Array(out.clip.data)).numFrames()).toBe(frames);
    // The same clip length runs through the next-token baseline, one step per token.
    const ntp = await generate(client, {
      model: { name: 'ntp-mmnist', version: '' },
      frames: 5,
      seed: 9,
    });
    expect(ntp.frames).toHaveLength(5);
    expect(ntp.clip.steps).toBe(5 * model!.video!.tokensPerFrame);
  }, 120_000);

  it.skipIf(!hasH264Encoder())(
    'encodes MP4 (H.264) that ffprobe reads with every frame',
    async () => {
      const out = await generate(client, { frames: 12, fps: 6 }, 'mp4');
      expect(out.clip).toMatchObject({ format: 'mp4', mimeType: 'video/mp4' });
      const file = join(mkdtempSync(join(tmpdir(), 'nextx-video-')), 'clip.mp4');
      writeFileSync(file, out.clip.data);
      expect(probeClip(file)).toMatchObject({ codec: 'h264', frames: 12, frameRate: '6/1' });
    },
  );

  it('answers bad input with INVALID_ARGUMENT / NOT_FOUND naming the field and limit, and keeps serving', async () => {
    const expectStatus = async (
      request: Partial<video.GenerateClipRequest['clip']>,
      code: status,
      text: string,
      format = 'gif',
    ) => {
      const error = (await generate(client, request, format).catch(
        (e: ServiceError) => e,
      )) as ServiceError;
      expect(error.code, text).toBe(code);
      expect(error.details).toContain(text);
      // The same, read as a standard client would: google.rpc details in grpc-status-details-bin.
      const decoded = readStatusDetails(error);
      if (code === status.INVALID_ARGUMENT)
        expect(decoded?.badRequest?.fieldViolations.map((v) => v.field)).toEqual([
          text.split(':')[0],
        ]);
      if (code === status.NOT_FOUND)
        expect(decoded?.resourceInfo).toMatchObject({
          resourceType: 'video model',
          resourceName: text,
        });
    };
    await expectStatus(
      { model: { name: 'no-such-model', version: '' } },
      status.NOT_FOUND,
      'no-such-model',
    );
    await expectStatus(
      { model: { name: 'mnist-classifier', version: '' } },
      status.NOT_FOUND,
      'mnist-classifier',
    );
    await expectStatus(
      { frames: 65 },
      status.INVALID_ARGUMENT,
      'clip.frames: got 65 (limit: an integer in [1, 64])',
    );
    await expectStatus({ frames: 0 }, status.INVALID_ARGUMENT, 'clip.frames');
    await expectStatus({ digits: [] }, status.INVALID_ARGUMENT, 'clip.digits');
    await expectStatus({ digits: [1, 2, 3] }, status.INVALID_ARGUMENT, 'clip.digits');
    await expectStatus({ digits: [3, 11] }, status.INVALID_ARGUMENT, 'clip.digits[1]');
    const { model } = await client.unary('getModel', {
      model: { name: 'nbp-mmnist', version: '' },
    });
    const fastest = Math.max(...model!.video!.velocities);
    const valid = { x: 0, y: model!.video!.maxPosition, vx: fastest, vy: -fastest };
    await expectStatus({ motions: [valid] }, status.INVALID_ARGUMENT, 'clip.motions');
    await expectStatus(
      { motions: [valid, { ...valid, x: model!.video!.maxPosition + 1 }] },
      status.INVALID_ARGUMENT,
      'clip.motions[1].x',
    );
    await expectStatus(
      { motions: [{ ...valid, vx: 99 }, valid] },
      status.INVALID_ARGUMENT,
      'clip.motions[0].vx',
    );
    const given = await generate(client, {
      motions: [valid, { ...valid, x: model!.video!.maxPosition, y: 0 }],
      frames: 2,
    });
    expect(given.clip.used!.motions).toEqual([
      valid,
      { ...valid, x: model!.video!.maxPosition, y: 0 },
    ]);
    await expectStatus(
      { sampling: { ...NO_SAMPLING, guidanceScale: 3 } },
      status.INVALID_ARGUMENT,
      'clip.sampling.guidance_scale',
    );
    await expectStatus(
      { sampling: { ...NO_SAMPLING, topP: 2 } },
      status.INVALID_ARGUMENT,
      'clip.sampling.top_p',
    );
    await expectStatus({}, status.INVALID_ARGUMENT, 'format', 'avi');
    const ok = await generate(client, { frames: 2 });
    expect(ok.frames).toHaveLength(2);
  });

  it('an 80,000-character model name or a 1 MiB page token is refused at once; other calls go on', async () => {
    const long = 'm'.repeat(80_000);
    const timeoutMs = 10_000;
    const signal = AbortSignal.timeout(timeoutMs);
    const [clipError, modelError, pageError, listed] = await Promise.all([
      generate(client, { model: { name: long, version: '' } }, 'gif', signal).catch(
        (e: ServiceError) => e,
      ),
      client
        .unary('getModel', { model: { name: long, version: '' } }, { timeoutMs })
        .catch((e: ServiceError) => e),
      client
        .unary(
          'listJobs',
          {
            pageToken: 'x'.repeat(1 << 20),
            pageSize: 0,
            state: commonJob.JobState.JOB_STATE_UNSPECIFIED,
          },
          { timeoutMs },
        )
        .catch((e: ServiceError) => e),
      client.unary('listModels', {}, { timeoutMs }),
    ]);
    const fields = ['clip.model.name', 'model.name', 'page_token'];
    [clipError, modelError, pageError].forEach((error, i) => {
      const e = error as ServiceError;
      expect(e.code, fields[i]).toBe(status.INVALID_ARGUMENT);
      expect(e.details).toContain(fields[i]);
      expect(e.details.length).toBeLessThan(1000);
    });
    expect(listed.models.length).toBeGreaterThan(0);
  });

  it('ListJobs refuses an unknown state enum with INVALID_ARGUMENT naming the field', async () => {
    const error = (await client
      .unary('listJobs', {
        pageToken: '',
        pageSize: 0,
        state: 99 as unknown as commonJob.JobState,
      })
      .catch((e: ServiceError) => e)) as ServiceError;
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain('state');
  });

  it('job RPCs answer UNAVAILABLE when the service runs without Kafka', async () => {
    const error = (await client
      .unary('getJob', { jobId: `job-${'0'.repeat(32)}` })
      .catch((e: ServiceError) => e)) as ServiceError;
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.details).toContain('KAFKA_BROKERS');
  });

  it('lists models with family, context and recorded quality; health and reflection work', async () => {
    const { models } = await client.unary('listModels', {});
    const byName = Object.fromEntries(models.map((m) => [m.model!.name, m]));
    expect(byName['nbp-mmnist']).toMatchObject({
      family: ModelFamily.MODEL_FAMILY_NBP,
      video: {
        frameSize: 64,
        tokensPerFrame: 64,
        maxObjects: 2,
      },
    });
    expect(byName['ntp-mmnist']).toMatchObject({ family: ModelFamily.MODEL_FAMILY_NTP_VIDEO });
    expect(byName['var-mnist']).toBeUndefined();
    expect(await checkHealth(service.address, 'nextx.video.v1.VideoGeneration')).toBe('SERVING');
    expect((await describeServer(service.address)).map((s) => s.name)).toContain(
      'nextx.video.v1.VideoGeneration',
    );
  });
});

describe('video-service queue and cancellation', () => {
  let service: RunningGrpcService;
  let client: Client;

  beforeAll(async () => {
    ({ service, client } = await startVideoService({
      VIDEO_MAX_RUNNING: '1',
      VIDEO_MAX_WAITING: '0',
    }));
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  it('a cancelled clip stops and frees its slot; a full queue refuses with RESOURCE_EXHAUSTED', async () => {
    const controller = new AbortController();
    let framesSeen = 0;
    const long = (async () => {
      for await (const m of client.stream(
        'generateClip',
        { clip: clip({ model: { name: 'ntp-mmnist', version: '' }, frames: 200 }), format: 'gif' },
        { signal: controller.signal },
      )) {
        if (m.frame) framesSeen++;
      }
    })().catch((e: ServiceError) => e);
    while (framesSeen === 0) await new Promise((r) => setTimeout(r, 50));
    const refused = (await generate(client, { frames: 1 }).catch(
      (e: ServiceError) => e,
    )) as ServiceError;
    expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
    const details = readStatusDetails(refused);
    expect(details?.errorInfo?.reason).toBe(ErrorReason.QUEUE_FULL);
    const delay = details?.retryInfo?.retryDelay;
    expect(delay!.seconds * 1000 + delay!.nanos / 1e6).toBeGreaterThan(0);
    controller.abort();
    expect(((await long) as ServiceError).code).toBe(status.CANCELLED);
    const queue = service.app.get<GenerationService<VideoTasks>>(VIDEO_GENERATION).queue;
    for (let i = 0; i < 50 && queue.runningCount > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(queue.runningCount).toBe(0);
    expect((await generate(client, { frames: 1 })).frames).toHaveLength(1);
  });
});
