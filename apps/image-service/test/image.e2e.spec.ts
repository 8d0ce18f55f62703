import { status, type ServiceError } from '@grpc/grpc-js';
import {
  checkHealth,
  describeServer,
  ErrorReason,
  fromStruct,
  readStatusDetails,
  type RunningGrpcService,
} from '@nextx/grpc';
import { DigitClassifier, type ImageTasks } from '@nextx/image';
import { healthCheckLatencies } from '@nextx/grpc/testing';
import { decodePng, encodePng } from '@nextx/media';
import { image, models } from '@nextx/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  collect,
  heldOutDigit,
  SAMPLING,
  startImageService,
  startWithClassifier,
  type Client,
} from './image-service-client';
import type { GenerationService } from '@nextx/serving';
import { IMAGE_GENERATION } from '../src/tokens';

const { ModelFamily } = models;
describe('image-service over gRPC with the reference models', () => {
  let service: RunningGrpcService;
  let client: Client;
  let classifier: DigitClassifier;

  beforeAll(async () => {
    ({ service, client, classifier } = await startWithClassifier());
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  // Speculative Jacobi decoding, the draft heads and standard speculative decoding are exact: they
  // must reach the target's recorded agreement too. llama-mnist-large names its draft (llama-mnist,
  // a served model) in its own manifest.
  const methodNames = {
    jacobi: 'Speculative Jacobi decoding',
    draftHeads: 'its draft heads',
    speculative: 'speculative decoding (draft llama-mnist)',
  };
  for (const [model, method] of [
    ['var-mnist', undefined],
    ['llama-mnist', undefined],
    ['llama-mnist', 'jacobi'],
    ['llama-mnist', 'draftHeads'],
    ['llama-mnist-large', 'speculative'],
  ] as const) {
    const name = `${model}${method ? ` with ${methodNames[method]}` : ''}`;
    it(`${name}: generated digits reach the class agreement recorded in model.json (200 samples)`, async () => {
      const { models } = await client.unary('listModels', {});
      const info = models.find((m) => m.model?.name === model)!;
      const recorded = info.quality!.classAgreement!;
      const pngs: Uint8Array[] = [];
      const labels: number[] = [];
      for (let c = 0; c < info.image!.numClasses; c++) {
        const { images } = await collect(client, {
          model: { name: model, version: '' },
          classLabel: c,
          numImages: 20,
          seed: 100 + c,
          jacobi: method === 'jacobi',
          draftHeads: method === 'draftHeads',
          speculative: method === 'speculative',
        });
        if (method) expect(images.acceptanceRate).toBeGreaterThan(0);
        pngs.push(...images.png);
        labels.push(...images.png.map(() => c));
      }
      const decoded = pngs.map((png) => decodePng(png));
      const pixels = new Float32Array(decoded.length * 32 * 32);
      decoded.forEach((d, i) => pixels.set(d.pixels, i * 32 * 32));
      const agreement = await classifier.agreement(
        { pixels, images: decoded.length, channels: 1, height: 32, width: 32 },
        labels,
      );
      console.log(
        `${name}: class agreement over the service ${agreement.toFixed(3)} (model.json ${recorded})`,
      );
      expect(agreement).toBeGreaterThanOrEqual(
        recorded - 3 * Math.sqrt((recorded * (1 - recorded)) / labels.length),
      );
    }, 300_000);
  }

  it('same seed ⇒ byte-identical PNGs; the settings and seed used come back', async () => {
    for (const model of ['var-mnist', 'llama-mnist']) {
      const request = {
        model: { name: model, version: '' },
        classLabel: 7,
        numImages: 3,
        seed: 42,
      };
      const a = await collect(client, request);
      const b = await collect(client, request);
      expect(a.images.png.map((p) => Buffer.from(p).toString('base64'))).toEqual(
        b.images.png.map((p) => Buffer.from(p).toString('base64')),
      );
      expect(a.images.settings?.seed).toBe(42);
      expect(a.images.settings?.sampling?.guidanceScale).toBeGreaterThan(0);
    }
  });

  it('sampling fields set to 0 or 1 are honoured, unset ones take the defaults (proto3 optional)', async () => {
    for (const model of ['var-mnist', 'llama-mnist']) {
      const request = { model: { name: model, version: '' }, classLabel: 4, numImages: 2 };
      const defaults = (await collect(client, { ...request, seed: 5 })).images.settings!.sampling!;
      expect(defaults.guidanceScale).toBeGreaterThan(1);
      expect(defaults.temperature).toBeGreaterThan(0);
      // Greedy (temperature 0) without guidance (1), top-k explicitly off: the seed no longer matters.
      const explicit = { guidanceScale: 1, temperature: 0, topK: 0 };
      const a = await collect(client, { ...request, seed: 5, sampling: explicit });
      const b = await collect(client, { ...request, seed: 6, sampling: explicit });
      expect(a.images.settings?.sampling).toMatchObject({ ...explicit, topP: defaults.topP });
      expect(a.images.png.map((p) => Buffer.from(p).toString('base64'))).toEqual(
        b.images.png.map((p) => Buffer.from(p).toString('base64')),
      );
    }
  });

  it('VAR streams one progress event per scale, each with a decodable preview', async () => {
    const { progress } = await collect(client, { classLabel: 3, numImages: 2 });
    expect(progress.length).toBe(progress[0].total);
    expect(progress.map((p) => p.step)).toEqual(progress.map((_, i) => i + 1));
    for (const p of progress)
      expect(decodePng(p.previewPng)).toMatchObject({ width: 32, height: 32 });
  });

  it('speculative decoding (standard and LANTERN) generates and reports its acceptance rate', async () => {
    for (const lantern of [false, true]) {
      const { images } = await collect(client, {
        model: { name: 'llama-mnist', version: '' },
        classLabel: 5,
        numImages: 2,
        speculative: true,
        lantern,
      });
      expect(images.png).toHaveLength(2);
      expect(images.settings?.speculative).toBe(true);
      expect(images.acceptanceRate).toBeGreaterThan(0);
    }
  });

  it('in-paints a masked half of a real digit: unmasked pixels kept, the classifier still agrees', async () => {
    const size = 32;
    let agreed = 0;
    const trials = 10;
    for (let c = 0; c < trials; c++) {
      const pixels = heldOutDigit(c);
      const mask = new Float32Array(size * size);
      for (let y = 16; y < size; y++) for (let x = 0; x < size; x++) mask[y * size + x] = 1; // regenerate the lower half
      const batch = (p: Float32Array) => ({
        pixels: p,
        images: 1,
        channels: 1,
        height: size,
        width: size,
      });
      const response = await client.unary('inpaint', {
        model: { name: 'var-mnist', version: '' },
        imagePng: encodePng(batch(pixels)),
        maskPng: encodePng(batch(mask)),
        classLabel: c,
        seed: 5,
        sampling: SAMPLING,
      });
      const out = decodePng(response.png);
      for (let i = 0; i < size * size; i++) {
        if (mask[i] === 0)
          expect(Math.abs(out.pixels[i] - pixels[i])).toBeLessThanOrEqual(1 / 255 + 1e-6);
      }
      const { labels } = await classifier.classify(batch(out.pixels));
      if (labels[0] === c) agreed++;
    }
    console.log(`in-painting: classifier agrees with the kept half's class in ${agreed}/${trials}`);
    expect(agreed).toBeGreaterThanOrEqual(8);
  });

  it('a cancelled Inpaint call aborts its generation', async () => {
    const generation = service.app.get<GenerationService<ImageTasks>>(IMAGE_GENERATION);
    const run = vi.spyOn(generation, 'run');
    try {
      const png = encodePng({
        pixels: new Float32Array(32 * 32),
        images: 1,
        channels: 1,
        height: 32,
        width: 32,
      });
      const controller = new AbortController();
      const call = client
        .unary(
          'inpaint',
          {
            model: { name: 'var-mnist', version: '' },
            imagePng: png,
            maskPng: png,
            classLabel: 1,
            seed: 1,
            sampling: SAMPLING,
          },
          { signal: controller.signal },
        )
        .catch((e: ServiceError) => e);
      while (run.mock.calls.length === 0) await new Promise((r) => setTimeout(r, 2));
      controller.abort();
      expect(((await call) as ServiceError).code).toBe(status.CANCELLED);
      const signal = run.mock.calls[0][2]?.signal;
      for (let i = 0; i < 100 && !signal?.aborted; i++) await new Promise((r) => setTimeout(r, 10));
      expect(signal?.aborted).toBe(true);
    } finally {
      run.mockRestore();
    }
  });

  it('refuses in-painting input of the wrong size or kind', async () => {
    const tiny = encodePng({
      pixels: new Float32Array(16),
      images: 1,
      channels: 1,
      height: 4,
      width: 4,
    });
    const ok = encodePng({
      pixels: new Float32Array(32 * 32),
      images: 1,
      channels: 1,
      height: 32,
      width: 32,
    });
    const call = (overrides: Partial<image.InpaintRequest>) =>
      client
        .unary('inpaint', {
          model: { name: 'var-mnist', version: '' },
          imagePng: ok,
          maskPng: ok,
          classLabel: 1,
          seed: 1,
          sampling: SAMPLING,
          ...overrides,
        })
        .catch((e: ServiceError) => e);
    expect(await call({ maskPng: tiny })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('mask_png'),
    });
    expect(await call({ imagePng: new Uint8Array([1, 2, 3]) })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('image_png'),
    });
    expect(await call({ model: { name: 'llama-mnist', version: '' } })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('model.name'),
    });
  });

  it('answers bad input with INVALID_ARGUMENT / NOT_FOUND naming the field, and keeps serving', async () => {
    const expectStatus = async (
      request: Partial<image.GenerateRequest>,
      code: status,
      text: string,
    ) => {
      const error = (await collect(client, request).catch((e: ServiceError) => e)) as ServiceError;
      expect(error.code, text).toBe(code);
      expect(error.details).toContain(text);
      // The same, read as a standard client would: google.rpc details in grpc-status-details-bin.
      const decoded = readStatusDetails(error);
      if (code === status.INVALID_ARGUMENT)
        expect(decoded?.badRequest?.fieldViolations.map((v) => v.field)).toEqual([text]);
      if (code === status.NOT_FOUND)
        expect(decoded?.resourceInfo).toMatchObject({
          resourceType: 'image model',
          resourceName: text,
        });
    };
    await expectStatus(
      { model: { name: 'no-such-model', version: '' } },
      status.NOT_FOUND,
      'no-such-model',
    );
    await expectStatus({ classLabel: 10 }, status.INVALID_ARGUMENT, 'class_label');
    await expectStatus({ numImages: 100_000 }, status.INVALID_ARGUMENT, 'num_images');
    await expectStatus(
      { sampling: { ...SAMPLING, guidanceScale: 50 } },
      status.INVALID_ARGUMENT,
      'sampling.guidance_scale',
    );
    await expectStatus(
      { sampling: { ...SAMPLING, topP: 2 } },
      status.INVALID_ARGUMENT,
      'sampling.top_p',
    );
    await expectStatus(
      { sampling: { ...SAMPLING, temperature: 20 } },
      status.INVALID_ARGUMENT,
      'sampling.temperature',
    );
    await expectStatus({ speculative: true }, status.INVALID_ARGUMENT, 'speculative');
    const ok = await collect(client, { numImages: 1 });
    expect(ok.images.png).toHaveLength(1);
  });

  it('an 80,000-character model name is refused at once and other calls on the connection go on', async () => {
    const long = 'm'.repeat(80_000);
    const [generate, getModel, models] = await Promise.all([
      collect(client, { model: { name: long, version: '' } }, { timeoutMs: 10_000 }).catch(
        (e: ServiceError) => e,
      ),
      client
        .unary('getModel', { model: { name: long, version: '' } }, { timeoutMs: 10_000 })
        .catch((e: ServiceError) => e),
      client.unary('listModels', {}, { timeoutMs: 10_000 }),
    ]);
    for (const error of [generate, getModel] as ServiceError[]) {
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toContain('model.name');
      expect(error.details.length).toBeLessThan(1000);
    }
    expect(models.models.length).toBeGreaterThan(0);
  });

  it('does not list a draft model, and a request naming one is NOT_FOUND, not INTERNAL', async () => {
    const { models: listed } = await client.unary('listModels', {});
    const names = listed.map((m) => m.model?.name);
    expect(names).toContain('llama-mnist');
    expect(names).not.toContain('llama-mnist-draft');
    expect(names).not.toContain('llama-mnist-heads');
    expect(listed.find((m) => m.model?.name === 'llama-mnist')?.image?.hasDraft).toBe(true);
    expect(listed.find((m) => m.model?.name === 'llama-mnist')?.image?.hasDraftHeads).toBe(true);
    const error = (await collect(client, {
      model: { name: 'llama-mnist-draft', version: '' },
    }).catch((e: ServiceError) => e)) as ServiceError;
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.details).toContain('llama-mnist-draft');
  });

  it('lists and describes models with family, defaults and recorded quality; health and reflection work', async () => {
    const { models } = await client.unary('listModels', {});
    expect(models.map((m) => m.model?.name).sort()).toEqual(
      expect.arrayContaining(['llama-mnist', 'var-mnist']),
    );
    const { model } = await client.unary('getModel', {
      model: { name: 'llama-mnist', version: '' },
    });
    expect(model).toMatchObject({
      family: ModelFamily.MODEL_FAMILY_RASTER,
      image: { numClasses: 10, hasDraft: true },
    });
    const { model: varModel } = await client.unary('getModel', {
      model: { name: 'var-mnist', version: '' },
    });
    expect(varModel).toMatchObject({
      family: ModelFamily.MODEL_FAMILY_VAR,
      image: { numClasses: 10, hasDraft: false },
    });
    // Size and quality as model.json records them: typed figures, and the whole eval as a Struct.
    expect(varModel!.image!.imageSize).toBe(32);
    const recorded = fromStruct(varModel!.quality!.eval);
    expect(recorded['class_agreement']).toBe(varModel!.quality!.classAgreement);
    expect(recorded['command']).toBe('tools/models/run.sh eval var-mnist');
    expect(await checkHealth(service.address, 'nextx.image.v1.ImageGeneration')).toBe('SERVING');
    expect((await describeServer(service.address)).map((s) => s.name)).toContain(
      'nextx.image.v1.ImageGeneration',
    );
  });
});

describe('image-service queue, cancellation and responsiveness', () => {
  let service: RunningGrpcService;
  let client: Client;

  beforeAll(async () => {
    ({ service, client } = await startImageService({
      IMAGE_MAX_RUNNING: '1',
      IMAGE_MAX_WAITING: '0',
      IMAGE_MAX_IMAGES: '256',
    }));
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  const long = {
    model: { name: 'llama-mnist', version: '' },
    classLabel: 1,
    numImages: 256,
    seed: 3,
  };

  it('answers health checks within 50 ms while a long generation runs', async () => {
    const controller = new AbortController();
    const running = collect(client, long, { signal: controller.signal }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const latencies = await healthCheckLatencies(service.address);
    controller.abort();
    await running;
    // The aborted generation stops within a step and gives its slot back.
    const queue = service.app.get<GenerationService<ImageTasks>>(IMAGE_GENERATION).queue;
    for (let i = 0; i < 50 && queue.runningCount > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(queue.runningCount).toBe(0);
    expect(Math.max(...latencies)).toBeLessThan(50);
  });

  it('refuses a request when the queue is full, and a cancelled call frees its slot', async () => {
    const controller = new AbortController();
    let progressed = 0;
    let gotImages = false;
    const first = (async () => {
      for await (const m of client.stream(
        'generate',
        {
          ...long,
          sampling: SAMPLING,
          speculative: false,
          lantern: false,
          jacobi: false,
          draftHeads: false,
        },
        { signal: controller.signal },
      )) {
        if (m.progress) progressed++;
        if (m.images) gotImages = true;
      }
    })().catch((e: ServiceError) => e);
    while (progressed === 0) await new Promise((r) => setTimeout(r, 20));
    const refused = (await collect(client, { numImages: 1 }).catch(
      (e: ServiceError) => e,
    )) as ServiceError;
    expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
    const details = readStatusDetails(refused);
    expect(details?.errorInfo?.reason).toBe(ErrorReason.QUEUE_FULL);
    const delay = details?.retryInfo?.retryDelay;
    expect(delay!.seconds * 1000 + delay!.nanos / 1e6).toBeGreaterThan(0);
    controller.abort();
    const ended = await first;
    // The client sees CANCELLED (or just the end of the stream) and never the result.
    if (ended) expect((ended as ServiceError).code).toBe(status.CANCELLED);
    expect(gotImages).toBe(false);
    // The slot is free again (the worker stopped within a step and released it).
    let admitted: Awaited<ReturnType<typeof collect>> | undefined;
    for (let attempt = 0; attempt < 50 && !admitted; attempt++) {
      admitted = await collect(client, { numImages: 1 }).catch(() => undefined);
      if (!admitted) await new Promise((r) => setTimeout(r, 100));
    }
    expect(admitted?.images.png).toHaveLength(1);
  });

  it('a deadline ends the call with DEADLINE_EXCEEDED and frees the slot', async () => {
    const error = (await collect(client, long, { timeoutMs: 300 }).catch(
      (e: ServiceError) => e,
    )) as ServiceError;
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    let admitted;
    for (let attempt = 0; attempt < 50 && !admitted; attempt++) {
      admitted = await collect(client, { numImages: 1 }).catch(() => undefined);
      if (!admitted) await new Promise((r) => setTimeout(r, 100));
    }
    expect(admitted?.images.png).toHaveLength(1);
  });
});
