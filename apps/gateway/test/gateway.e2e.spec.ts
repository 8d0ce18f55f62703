import { TypedGrpcClient } from '@nextx/grpc';
import { freePort } from '@nextx/grpc/testing';
import { image, PROTO_FILES } from '@nextx/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagesOf, parseSse, postJson, postSse } from './http-client';
import { startStack, type Stack } from './stack';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

/** A monthly series with a trend and a yearly season, 96 points. */
const SERIES = Array.from(
  { length: 96 },
  (_, i) => 100 + i * 0.8 + 12 * Math.sin((2 * Math.PI * i) / 12),
);

describe('gateway over the real services (HTTP/JSON → gRPC on loopback)', () => {
  let stack: Stack;
  let url: string;
  let imageMetrics: string;

  beforeAll(async () => {
    const metricsPort = await freePort();
    imageMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
    stack = await startStack({
      // The image service runs one generation at a time and queues none, so a second request is
      // refused (429) while one runs, and a freed slot is visible at once.
      env: {
        image: {
          IMAGE_MAX_RUNNING: '1',
          IMAGE_MAX_WAITING: '0',
          LOG_LEVEL: 'info',
          METRICS_PORT: String(metricsPort),
        },
        gateway: { GATEWAY_MAX_BODY_BYTES: String(1024 * 1024) },
      },
    });
    url = stack.gatewayUrl;
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('GET /v1/models lists the models of every service; /readyz lists each backend SERVING', async () => {
    const models = (await (await fetch(`${url}/v1/models`)).json()) as {
      services: { service: string; models: { model: { name: string } }[]; error?: unknown }[];
    };
    const names = Object.fromEntries(
      models.services.map((s) => [s.service, s.models.map((m) => m.model.name)]),
    );
    expect(names['image']).toEqual(expect.arrayContaining(['var-mnist', 'llama-mnist']));
    expect(names['video']).toEqual(expect.arrayContaining(['nbp-mmnist']));
    expect(names['timeseries']).toEqual(expect.arrayContaining(['chronos-corpus']));
    expect(names['audio']).toEqual(expect.arrayContaining(['musicgen-notes', 'magnet-notes']));
    expect(names['shape']).toEqual(expect.arrayContaining(['shape-octree']));
    expect(models.services.every((s) => s.error === undefined)).toBe(true);

    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { backends: { service: string; status: string }[] };
    expect(body.backends.map((b) => [b.service, b.status])).toEqual([
      ['image', 'SERVING'],
      ['video', 'SERVING'],
      ['timeseries', 'SERVING'],
      ['audio', 'SERVING'],
      ['shape', 'SERVING'],
    ]);
    const one = await fetch(`${url}/v1/image/models/var-mnist`);
    expect(((await one.json()) as { model: { family: string } }).model.family).toBe(
      'MODEL_FAMILY_VAR',
    );
  });

  it('image: the SSE stream carries the same progress events and images as the gRPC stream, and the PNG comes as a file', async () => {
    const request = { model: { name: 'var-mnist' }, classLabel: 7, numImages: 2, seed: '11' };
    const { response, events } = await postSse(`${url}/v1/image/generate`, request, {
      'x-request-id': 'gateway-e2e-image-1',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-request-id')).toBe('gateway-e2e-image-1');
    const { messages, ended } = messagesOf(events);
    expect(ended).toBe(true);
    expect(events.filter((e) => e.event === 'message').map((e) => e.id)).toEqual(
      messages.map((_, i) => String(i)),
    );

    const client = new TypedGrpcClient<image.ImageGenerationClient>(
      stack.addresses.image!,
      PROTO_FILES.image,
      'nextx.image.v1.ImageGeneration',
    );
    const direct: image.GenerateResponse[] = [];
    for await (const m of client.stream('generate', {
      model: { name: 'var-mnist', version: '' },
      classLabel: 7,
      numImages: 2,
      seed: 11,
      speculative: false,
      lantern: false,
      jacobi: false,
      draftHeads: false,
    }))
      direct.push(m);
    client.close();
    type Progress = { step: number; total: number; stage: string; previewPng: string };
    const viaHttp = messages.filter((m) => m['progress']).map((m) => m['progress'] as Progress);
    const viaGrpc = direct.filter((m) => m.progress).map((m) => m.progress!);
    expect(viaHttp.map((p) => [p.step, p.total, p.stage])).toEqual(
      viaGrpc.map((p) => [p.step, p.total, p.stage]),
    );
    expect(viaHttp.map((p) => p.previewPng)).toEqual(
      viaGrpc.map((p) => Buffer.from(p.previewPng ?? []).toString('base64')),
    );
    const pngs = (messages.at(-1)!['images'] as { png: string[] }).png;
    expect(pngs).toEqual(direct.at(-1)!.images!.png.map((b) => Buffer.from(b).toString('base64')));

    const file = await postJson(`${url}/v1/image/generate?index=1`, request, {
      accept: 'image/png',
    });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.subarray(0, 4)).toEqual(PNG);
    expect(bytes.toString('base64')).toBe(pngs[1]);
    // The request id reached the backend: its call log line carries it.
    expect(stack.output()).toContain('gateway-e2e-image-1');
  });

  it('image: without Accept: text/event-stream a stream is NDJSON ({"result": …} lines); Inpaint answers JSON and PNG', async () => {
    const response = await postJson(`${url}/v1/image/generate`, {
      model: { name: 'var-mnist' },
      classLabel: 1,
      numImages: 1,
      seed: '3',
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.every((l) => 'result' in l)).toBe(true);
    const png = lines.at(-1).result.images.png[0] as string;

    const mask = Buffer.from(
      await (
        await postJson(
          `${url}/v1/image/generate`,
          { model: { name: 'var-mnist' }, classLabel: 4, numImages: 1, seed: '5' },
          { accept: 'image/png' },
        )
      ).arrayBuffer(),
    ).toString('base64');
    const inpaint = await postJson(`${url}/v1/image/inpaint`, {
      model: { name: 'var-mnist' },
      imagePng: png,
      maskPng: mask,
      classLabel: 1,
      seed: '2',
    });
    expect(inpaint.status).toBe(200);
    const json = (await inpaint.json()) as { png: string };
    expect(Buffer.from(json.png, 'base64').subarray(0, 4)).toEqual(PNG);
  });

  it('video: clip frames stream as SSE and the clip downloads as a file', async () => {
    const clip = { model: { name: 'nbp-mmnist' }, digits: [3, 7], frames: 8, fps: 8, seed: '1' };
    const { events } = await postSse(`${url}/v1/video/clips`, { clip, format: 'gif' });
    const { messages, ended } = messagesOf(events);
    expect(ended).toBe(true);
    expect(messages.filter((m) => m['frame'])).toHaveLength(8);
    const last = messages.at(-1)!['clip'] as { format: string; frames: number };
    expect(last).toMatchObject({ format: 'gif', frames: 8 });

    const file = await postJson(
      `${url}/v1/video/clips`,
      { clip, format: 'gif' },
      { accept: 'image/gif' },
    );
    expect(file.headers.get('content-type')).toBe('image/gif');
    expect(
      Buffer.from(await file.arrayBuffer())
        .subarray(0, 3)
        .toString(),
    ).toBe('GIF');
  });

  it('video jobs: submit, watch as SSE to SUCCEEDED, get, list, download the output; cancel another', async () => {
    const submit = await postJson(`${url}/v1/video/jobs`, {
      idempotencyKey: 'gateway-e2e-job',
      clip: { model: { name: 'nbp-mmnist' }, digits: [2], frames: 8, fps: 8, seed: '4' },
      chunkFrames: 4,
      outputFormat: 'gif',
    });
    expect(submit.status).toBe(200);
    const { job } = (await submit.json()) as { job: { jobId: string; state: string } };
    expect(job.jobId).toMatch(/\S/);

    const watch = await fetch(`${url}/v1/video/jobs/${job.jobId}/events`, {
      headers: { accept: 'text/event-stream' },
    });
    const states = parseSse(await watch.text())
      .filter((e) => e.event === 'message')
      .map((e) => (e.data['job'] as { state: string }).state);
    expect(states.at(-1)).toBe('JOB_STATE_SUCCEEDED');

    const got = (await (await fetch(`${url}/v1/video/jobs/${job.jobId}`)).json()) as {
      job: { state: string };
    };
    expect(got.job.state).toBe('JOB_STATE_SUCCEEDED');
    const list = (await (await fetch(`${url}/v1/video/jobs?pageSize=5`)).json()) as {
      jobs: { jobId: string }[];
    };
    expect(list.jobs.map((j) => j.jobId)).toContain(job.jobId);
    const output = await fetch(`${url}/v1/video/jobs/${job.jobId}/output`, {
      headers: { accept: 'image/gif' },
    });
    expect(output.headers.get('content-type')).toBe('image/gif');
    expect(
      Buffer.from(await output.arrayBuffer())
        .subarray(0, 3)
        .toString(),
    ).toBe('GIF');

    const long = (await (
      await postJson(`${url}/v1/video/jobs`, {
        idempotencyKey: 'gateway-e2e-cancel',
        clip: { model: { name: 'nbp-mmnist' }, digits: [5], frames: 64, fps: 8, seed: '6' },
        chunkFrames: 4,
        outputFormat: 'gif',
      })
    ).json()) as { job: { jobId: string } };
    const cancel = await postJson(`${url}/v1/video/jobs/${long.job.jobId}/cancel`, {
      reason: 'test',
    });
    expect(cancel.status).toBe(200);
    const finalStates = parseSse(
      await (
        await fetch(`${url}/v1/video/jobs/${long.job.jobId}/events`, {
          headers: { accept: 'text/event-stream' },
        })
      ).text(),
    )
      .filter((e) => e.event === 'message')
      .map((e) => (e.data['job'] as { state: string }).state);
    expect(finalStates.at(-1)).toBe('JOB_STATE_CANCELLED');
  });

  it('timeseries: a forecast as JSON with quantiles, and as CSV', async () => {
    const request = {
      series: { values: SERIES, seasonLength: 12 },
      horizon: 12,
      quantiles: [0.1, 0.5, 0.9],
      numPaths: 50,
      seed: '3',
    };
    const response = await postJson(`${url}/v1/timeseries/forecast`, request);
    expect(response.status).toBe(200);
    const json = (await response.json()) as {
      point: number[];
      quantiles: { level: number; values: number[] }[];
    };
    expect(json.point).toHaveLength(12);
    expect(json.quantiles.map((q) => q.level)).toEqual([0.1, 0.5, 0.9]);

    const csv = await postJson(`${url}/v1/timeseries/forecast`, request, { accept: 'text/csv' });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = (await csv.text()).trim().split('\n');
    expect(rows[0]).toBe('step,point,mean,q0.1,q0.5,q0.9');
    expect(rows).toHaveLength(13);
    expect(Number(rows[1].split(',')[1])).toBeCloseTo(json.point[0], 6);
  });

  it('audio: PCM chunks stream before the clip, and the WAV comes as a file', async () => {
    const request = {
      model: { name: 'musicgen-notes' },
      note: { family: 'guitar', pitch: 60 },
      seconds: 0.5,
      seed: '9',
    };
    const { events } = await postSse(`${url}/v1/audio/generate`, request);
    const { messages, ended } = messagesOf(events);
    expect(ended).toBe(true);
    const firstChunk = messages.findIndex((m) => m['chunk']);
    const clip = messages.findIndex((m) => m['audio']);
    expect(firstChunk).toBeGreaterThanOrEqual(0);
    expect(firstChunk).toBeLessThan(clip);

    const wav = await postJson(`${url}/v1/audio/generate`, request, { accept: 'audio/wav' });
    expect(wav.headers.get('content-type')).toBe('audio/wav');
    const bytes = Buffer.from(await wav.arrayBuffer());
    expect(bytes.subarray(0, 4).toString()).toBe('RIFF');
    expect(bytes.toString('base64')).toBe((messages[clip]['audio'] as { wav: string }).wav);
  });

  it('shape: level previews stream, and the GLB comes as model/gltf-binary', async () => {
    const request = { model: { name: 'shape-octree' }, className: 'Capacitor_THT', seed: '2' };
    const { events } = await postSse(`${url}/v1/shape/generate`, request);
    const { messages, ended } = messagesOf(events);
    expect(ended).toBe(true);
    expect(messages.some((m) => m['level'])).toBe(true);
    const glb = await postJson(`${url}/v1/shape/generate`, request, {
      accept: 'model/gltf-binary',
    });
    expect(glb.headers.get('content-type')).toBe('model/gltf-binary');
    expect(
      Buffer.from(await glb.arrayBuffer())
        .subarray(0, 4)
        .toString(),
    ).toBe('glTF');
  });

  it('errors: INVALID_ARGUMENT → 400 with the field violations, NOT_FOUND → 404, an unknown field → 400, a bad Grpc-Timeout → 400, a deadline → 504', async () => {
    const invalid = await postJson(`${url}/v1/image/generate`, {
      model: { name: 'var-mnist' },
      classLabel: 33,
    });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as {
      code: number;
      details: { '@type': string; fieldViolations?: { field: string }[] }[];
    };
    expect(body.code).toBe(3);
    const badRequest = body.details.find((d) => d['@type'].endsWith('google.rpc.BadRequest'));
    expect(badRequest?.fieldViolations?.[0].field).toBe('class_label');

    const missing = await postJson(`${url}/v1/image/generate`, {
      model: { name: 'no-such-model' },
    });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: number }).code).toBe(5);

    const unknown = await postJson(`${url}/v1/image/generate`, { numImagez: 3 });
    expect(unknown.status).toBe(400);
    expect(
      ((await unknown.json()) as { details: { fieldViolations?: { field: string }[] }[] })
        .details[0].fieldViolations?.[0].field,
    ).toBe('numImagez');

    const badTimeout = await postJson(`${url}/v1/image/generate`, {}, { 'grpc-timeout': 'soon' });
    expect(badTimeout.status).toBe(400);
    const late = await postJson(
      `${url}/v1/video/clips`,
      { clip: { model: { name: 'nbp-mmnist' }, digits: [1], frames: 32, fps: 8 } },
      { 'grpc-timeout': '5m' },
    );
    expect(late.status).toBe(504);
    expect(((await late.json()) as { code: number }).code).toBe(4);

    const notJson = await fetch(`${url}/v1/image/generate`, {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(notJson.status).toBe(415);
    const noRoute = await fetch(`${url}/v1/nothing`);
    expect(noRoute.status).toBe(404);
    // Over GATEWAY_MAX_BODY_BYTES: refused before the body is parsed.
    const huge = await postJson(`${url}/v1/image/inpaint`, {
      imagePng: 'A'.repeat(2 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({
      code: 8,
      details: [{ reason: 'MESSAGE_TOO_LARGE' }],
    });
    const broken = await fetch(`${url}/v1/image/generate`, {
      method: 'POST',
      body: '{"model":',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { code: number }).code).toBe(3);
  });

  it('a full backend queue → 429 with Retry-After; an HTTP client that disconnects cancels its generation and frees the slot', async () => {
    // llama-mnist: 64 raster steps per image; 16 images keep the one slot busy for seconds.
    const abort = new AbortController();
    const running = await postJson(
      `${url}/v1/image/generate`,
      { model: { name: 'llama-mnist' }, classLabel: 2, numImages: 16, seed: '1' },
      { accept: 'text/event-stream' },
      abort.signal,
    );
    expect(running.status).toBe(200);
    const reader = running.body!.getReader();
    await reader.read(); // The first progress event: the generation holds the slot.

    const refused = await postJson(`${url}/v1/image/generate`, {
      model: { name: 'var-mnist' },
      classLabel: 1,
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { code: number }).code).toBe(8);

    abort.abort();
    // Once the gateway cancels the backend call, the slot frees: a request is accepted again
    // long before the 16 images could have finished.
    const deadline = Date.now() + 20_000;
    let accepted = 0;
    while (Date.now() < deadline && !accepted) {
      const again = await postJson(
        `${url}/v1/image/generate`,
        { model: { name: 'var-mnist' }, classLabel: 1, numImages: 1 },
        { accept: 'image/png' },
      );
      if (again.status === 200) accepted = Date.now();
      else {
        expect(again.status).toBe(429);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(accepted).toBeGreaterThan(0);
    // The backend counted the generation as cancelled, not finished.
    const metrics = await (await fetch(imageMetrics)).text();
    expect(metrics).toMatch(
      /nextx_generation_requests_total\{model="llama-mnist",outcome="cancelled"[^}]*\} 1\b/,
    );
    expect(metrics).not.toMatch(
      /nextx_generation_requests_total\{model="llama-mnist",outcome="ok"/,
    );
  });

  it('/openapi.json is the generated document with every route, stream and file media types; /docs renders it from local files', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
      swagger: string;
      paths: Record<string, Record<string, { produces?: string[] }>>;
    };
    expect(doc.swagger).toBe('2.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/image/generate',
        '/v1/video/clips',
        '/v1/video/jobs',
        '/v1/video/jobs/{jobId}',
        '/v1/timeseries/forecast',
        '/v1/audio/generate',
        '/v1/shape/generate',
        '/v1/models',
      ]),
    );
    expect(doc.paths['/v1/image/generate'].post.produces).toEqual(
      expect.arrayContaining(['text/event-stream', 'image/png']),
    );
    expect(doc.paths['/v1/timeseries/forecast'].post.produces).toContain('text/csv');
    const docs = await fetch(`${url}/docs`);
    expect(await docs.text()).toContain('/vendor/swagger-ui-dist/swagger-ui-bundle.js');
    const bundle = await fetch(`${url}/vendor/swagger-ui-dist/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(
      Number(bundle.headers.get('content-length') ?? (await bundle.arrayBuffer()).byteLength),
    ).toBeGreaterThan(100_000);
    expect((await fetch(`${url}/vendor/chart.js/package.json`)).status).toBe(200);
  });

  it('a backend that is down → 503 UNAVAILABLE, listed as such by /readyz and /v1/models; the others still serve', async () => {
    await stack.kill('shape');
    const down = await postJson(`${url}/v1/shape/generate`, {
      model: { name: 'shape-octree' },
      className: 'Capacitor_THT',
    });
    expect(down.status).toBe(503);
    expect(((await down.json()) as { code: number; message: string }).code).toBe(14);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    const models = (await (await fetch(`${url}/v1/models`)).json()) as {
      services: { service: string; error?: { code: number } }[];
    };
    expect(models.services.find((s) => s.service === 'shape')?.error?.code).toBe(14);
    const forecast = await postJson(`${url}/v1/timeseries/forecast`, {
      series: { values: SERIES },
      horizon: 4,
    });
    expect(forecast.status).toBe(200);
  });
});
