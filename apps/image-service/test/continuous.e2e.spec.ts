import { status, type ServiceError } from '@grpc/grpc-js';
import { readStatusDetails, type RunningGrpcService } from '@nextx/grpc';
import { DigitClassifier } from '@nextx/image';
import { decodePng, encodePng } from '@nextx/media';
import { models } from '@nextx/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  heldOutDigit,
  SAMPLING,
  startWithClassifier,
  type Client,
} from './image-service-client';

const { ModelFamily } = models;

/** Continuous-token image models (xAR, MAR + CSpD) through the same API as the discrete ones. */
describe('image-service: continuous-token models over gRPC', () => {
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

  /** Class agreement of `perClass` images of every class, generated through the service. */
  async function agreementOf(model: string, speculative: boolean, perClass = 10) {
    const pngs: Uint8Array[] = [];
    const labels: number[] = [];
    let acceptance = 0;
    for (let c = 0; c < 10; c++) {
      const { images } = await collect(client, {
        model: { name: model, version: '' },
        classLabel: c,
        numImages: perClass,
        seed: 300 + c,
        speculative,
      });
      acceptance += images.acceptanceRate / 10;
      expect(images.settings?.speculative).toBe(speculative);
      pngs.push(...images.png);
      labels.push(...images.png.map(() => c));
    }
    const pixels = new Float32Array(pngs.length * 32 * 32);
    pngs.forEach((png, i) => pixels.set(decodePng(png).pixels, i * 32 * 32));
    const batch = { pixels, images: pngs.length, channels: 1, height: 32, width: 32 };
    return { agreement: await classifier.agreement(batch, labels), n: labels.length, acceptance };
  }

  for (const [model, speculative] of [
    ['xar-mnist', false],
    ['mar-mnist', false],
    ['mar-mnist', true],
  ] as const) {
    it(`${model}${speculative ? ' with continuous speculative decoding' : ''}: class agreement ≥ recorded − 3 SE (100 samples)`, async () => {
      const { models: list } = await client.unary('listModels', {});
      const recorded = list.find((m) => m.model?.name === model)!.quality!.classAgreement!;
      const { agreement, n, acceptance } = await agreementOf(model, speculative);
      console.log(
        `${model}${speculative ? ' (CSpD)' : ''}: class agreement over the service ${agreement.toFixed(3)} (model.json ${recorded})${speculative ? `, acceptance ${acceptance.toFixed(3)}` : ''}`,
      );
      if (speculative) expect(acceptance).toBeGreaterThan(0);
      expect(agreement).toBeGreaterThanOrEqual(
        recorded - 3 * Math.sqrt((recorded * (1 - recorded)) / n),
      );
    }, 600_000);
  }

  it('same seed ⇒ byte-identical PNGs; previews (xAR per cell, MAR per round) decode', async () => {
    for (const [model, steps] of [
      ['xar-mnist', 4],
      ['mar-mnist', undefined],
    ] as const) {
      const request = {
        model: { name: model, version: '' },
        classLabel: 6,
        numImages: 2,
        seed: 77,
      };
      const a = await collect(client, request);
      const b = await collect(client, request);
      const c = await collect(client, { ...request, seed: 78 });
      expect(a.images.png).toEqual(b.images.png);
      expect(c.images.png[0]).not.toEqual(a.images.png[0]);
      const previews = a.progress.filter((p) => p.previewPng.length > 0);
      if (steps) expect(previews).toHaveLength(steps);
      else expect(previews.length).toBeGreaterThan(1);
      expect(previews.every((p) => p.stage === (model === 'xar-mnist' ? 'cell' : 'round'))).toBe(
        true,
      );
      for (const p of previews) expect(decodePng(p.previewPng).width).toBe(32);
      expect(a.images.settings?.model?.name).toBe(model);
    }
  }, 120_000);

  it('MAR in-paints the lower half of a real digit: unmasked pixels kept, the classifier agrees', async () => {
    const size = 32;
    let agreed = 0;
    for (let c = 0; c < 10; c++) {
      const pixels = heldOutDigit(c);
      const mask = new Float32Array(size * size);
      mask.fill(1, 16 * size);
      const batch = (p: Float32Array) => ({
        pixels: p,
        images: 1,
        channels: 1,
        height: size,
        width: size,
      });
      const response = await client.unary('inpaint', {
        model: { name: 'mar-mnist', version: '' },
        imagePng: encodePng(batch(pixels)),
        maskPng: encodePng(batch(mask)),
        classLabel: c,
        seed: 5,
        sampling: SAMPLING,
      });
      const out = decodePng(response.png);
      for (let i = 0; i < 16 * size; i++)
        expect(Math.abs(out.pixels[i] - pixels[i])).toBeLessThanOrEqual(1 / 255 + 1e-6);
      const { labels } = await classifier.classify(batch(out.pixels));
      if (labels[0] === c) agreed++;
    }
    console.log(`MAR in-painting: classifier agrees with the kept half's class in ${agreed}/10`);
    // mar-mnist alone reaches 0.478 class agreement; the kept upper half must carry the class more often.
    expect(agreed).toBeGreaterThanOrEqual(5);
  }, 120_000);

  it('refuses settings continuous tokens do not have, naming the field, and keeps serving', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ model: { name: 'xar-mnist', version: '' }, sampling: { topK: 5 } }, 'sampling.top_k'],
      [{ model: { name: 'mar-mnist', version: '' }, sampling: { topP: 0.5 } }, 'sampling.top_p'],
      [{ model: { name: 'mar-mnist', version: '' }, sampling: { minP: 0.1 } }, 'sampling.min_p'],
      [
        { model: { name: 'xar-mnist', version: '' }, sampling: { temperature: 0.5 } },
        'sampling.temperature',
      ],
      [{ model: { name: 'xar-mnist', version: '' }, speculative: true }, 'speculative'],
      [{ model: { name: 'mar-mnist', version: '' }, speculative: true, lantern: true }, 'lantern'],
      [{ model: { name: 'mar-mnist', version: '' }, jacobi: true }, 'jacobi'],
      [
        {
          model: { name: 'mar-mnist', version: '' },
          speculative: true,
          sampling: { temperature: 0 },
        },
        'sampling.temperature',
      ],
    ];
    for (const [request, field] of cases) {
      const error = (await collect(client, request).catch((e: unknown) => e)) as ServiceError;
      expect(error.code, field).toBe(status.INVALID_ARGUMENT);
      expect(readStatusDetails(error)?.badRequest?.fieldViolations.map((v) => v.field)).toEqual([
        field,
      ]);
    }
    const { images } = await collect(client, { model: { name: 'mar-mnist', version: '' } });
    expect(images.png).toHaveLength(1);
  }, 60_000);

  it('lists both families with their draft and recorded quality', async () => {
    const { model: xar } = await client.unary('getModel', {
      model: { name: 'xar-mnist', version: '' },
    });
    const { model: mar } = await client.unary('getModel', {
      model: { name: 'mar-mnist', version: '' },
    });
    expect(xar).toMatchObject({
      family: ModelFamily.MODEL_FAMILY_XAR,
      image: { numClasses: 10, hasDraft: false },
    });
    expect(mar).toMatchObject({
      family: ModelFamily.MODEL_FAMILY_MAR,
      image: { numClasses: 10, hasDraft: true },
    });
    expect(mar!.quality!.frechetDistance).toBeGreaterThan(0);
    const { models: list } = await client.unary('listModels', {});
    expect(list.map((m) => m.model?.name)).not.toContain('mar-mnist-draft');
  });
});
