import { runToResult } from '@nextx/engine';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DigitClassifier,
  loadMarPipeline,
  loadXarPipeline,
  type ImageBatch,
  type MarPipeline,
  type XarPipeline,
} from '../src';

const repository = new ModelRepository(referenceModelsDir());
let classifier: DigitClassifier;
const labels = Array.from({ length: 200 }, (_, i) => Math.floor(i / 20));

beforeAll(async () => {
  classifier = new DigitClassifier((await repository.load('mnist-classifier')).graph('classifier'));
}, 60_000);

/** Agreement over `n` samples must reach the recorded value − 3 SE. */
function expectRecorded(agreement: number, recorded: number, n: number, what: string) {
  console.log(`${what}: class agreement ${agreement.toFixed(3)} (model.json ${recorded}, n ${n})`);
  // Well above chance (0.1): the recorded figure comes from a working model.
  expect(recorded).toBeGreaterThan(0.2);
  expect(agreement).toBeGreaterThanOrEqual(
    recorded - 3 * Math.sqrt((recorded * (1 - recorded)) / n),
  );
}

function recordedAgreement(manifest: { eval?: unknown }): number {
  return Number((manifest.eval as Record<string, unknown>)['class_agreement']);
}

describe('xAR next-cell flow matching on xar-mnist', () => {
  let pipeline: XarPipeline;
  const request = (classLabels: number[], previews = false) => ({
    classLabels,
    guidanceScale: pipeline.defaults.guidanceScale,
    flowSteps: pipeline.defaults.flowSteps,
    previews,
  });

  beforeAll(async () => {
    pipeline = await loadXarPipeline(repository, 'xar-mnist');
  }, 60_000);

  it('reaches the class agreement recorded in model.json (200 samples at the defaults)', async () => {
    const result = await runToResult(
      pipeline.generator(2 * labels.length).generate(request(labels), { seed: 1 }),
    );
    const agreement = await classifier.agreement(result.media, labels);
    expectRecorded(
      agreement,
      recordedAgreement(pipeline.model.manifest),
      labels.length,
      'xar-mnist',
    );
  }, 300_000);

  it('one preview per cell, the last equal to the image; deterministic per seed', async () => {
    const previews: ImageBatch[] = [];
    const run = (seed: number) =>
      runToResult(pipeline.generator(4).generate(request([3, 7], true), { seed }), (e) =>
        previews.push(e.preview as ImageBatch),
      );
    const a = await run(4);
    expect(previews).toHaveLength(pipeline.dims.cellCount);
    expect(previews[previews.length - 1].pixels).toEqual(a.media.pixels);
    // The first preview shows one generated quadrant; the others are still background.
    const lowerRight = previews[0].pixels.filter((_, i) => i % 32 >= 16 && i >= 16 * 32);
    expect(lowerRight.every((v) => v === 0)).toBe(true);
    const b = await run(4);
    const c = await run(5);
    expect(Array.from(b.tokens)).toEqual(Array.from(a.tokens));
    expect(Array.from(c.tokens)).not.toEqual(Array.from(a.tokens));
  }, 60_000);

  it('concurrent requests share one forward per solver step (fusion) and compute what they compute alone', async () => {
    const alone = await runToResult(pipeline.generator(2).generate(request([6]), { seed: 3 }));
    const fusion = pipeline.fused(64);
    const results = await Promise.all(
      [3, 4, 5, 6].map((seed) =>
        runToResult(pipeline.fusedGenerator(fusion.member()).generate(request([6]), { seed })),
      ),
    );
    const perImage = pipeline.dims.cellCount * pipeline.defaults.flowSteps;
    expect(fusion.stats).toMatchObject({
      rounds: 1,
      forwards: perImage,
      rowForwards: perImage * 4 * (pipeline.defaults.guidanceScale !== 1 ? 2 : 1),
    });
    const diff = results[0].tokens.reduce(
      (m, v, i) => Math.max(m, Math.abs(v - alone.tokens[i])),
      0,
    );
    expect(diff).toBeLessThan(1e-3);
  }, 60_000);

  it('stops within one solver step of an abort', async () => {
    const controller = new AbortController();
    const error = await runToResult(
      pipeline.generator(2).generate(request([1]), { seed: 1, signal: controller.signal }),
      (e) => {
        if (e.step === 1) controller.abort();
      },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError', step: pipeline.defaults.flowSteps });
  });
});

describe('MAR masked autoregression with a diffusion head on mar-mnist', () => {
  let pipeline: MarPipeline;
  let draft: MarPipeline;
  const request = (classLabels: number[], previews = false) => ({
    classLabels,
    guidanceScale: pipeline.defaults.guidanceScale,
    temperature: pipeline.defaults.temperature,
    numIter: pipeline.defaults.numIter,
    previews,
  });

  beforeAll(async () => {
    pipeline = await loadMarPipeline(repository, 'mar-mnist');
    draft = await loadMarPipeline(repository, 'mar-mnist-draft');
  }, 60_000);

  it('reaches the class agreement recorded in model.json (200 samples at the defaults)', async () => {
    const result = await runToResult(
      pipeline.generator(pipeline.defaults.numSamplingSteps).generate(request(labels), { seed: 1 }),
    );
    const agreement = await classifier.agreement(result.media, labels);
    expectRecorded(
      agreement,
      recordedAgreement(pipeline.model.manifest),
      labels.length,
      'mar-mnist',
    );
  }, 300_000);

  it('continuous speculative decoding with the draft keeps the class agreement of plain sampling', async () => {
    const some = labels.filter((_, i) => i % 2 === 0);
    const result = await runToResult(
      pipeline
        .generator(pipeline.defaults.numSamplingSteps, draft)
        .generate(request(some), { seed: 2 }),
    );
    expect(result.acceptanceRate).toBeGreaterThan(0);
    const agreement = await classifier.agreement(result.media, some);
    console.log(`mar-mnist CSpD: acceptance ${result.acceptanceRate!.toFixed(3)}`);
    expectRecorded(
      agreement,
      recordedAgreement(pipeline.model.manifest),
      some.length,
      'mar-mnist CSpD',
    );
  }, 300_000);

  it('one preview per round, the last equal to the image; deterministic per seed', async () => {
    const previews: ImageBatch[] = [];
    const run = (seed: number) =>
      runToResult(
        pipeline
          .generator(pipeline.defaults.numSamplingSteps)
          .generate(request([2, 8], true), { seed }),
        (e) => previews.push(e.preview as ImageBatch),
      );
    const a = await run(4);
    expect(previews).toHaveLength(pipeline.defaults.numIter);
    expect(previews[previews.length - 1].pixels).toEqual(a.media.pixels);
    const b = await run(4);
    const c = await run(5);
    expect(Array.from(b.tokens)).toEqual(Array.from(a.tokens));
    expect(Array.from(c.tokens)).not.toEqual(Array.from(a.tokens));
  }, 60_000);

  it('concurrent generations share forwards (dynamic batching) and compute what they compute alone', async () => {
    const fused = await loadMarPipeline(repository, 'mar-mnist', { fusedRows: 256 });
    const steps = pipeline.defaults.numSamplingSteps;
    const alone = await runToResult(pipeline.generator(steps).generate(request([5]), { seed: 9 }));
    const graph = fused.model.graph('head');
    const before = graph.stats.runs;
    const results = await Promise.all(
      [9, 10, 11, 12].map((seed) =>
        runToResult(fused.generator(steps).generate(request([5]), { seed })),
      ),
    );
    const runs = graph.stats.runs - before;
    // Four generations of numIter × steps head calls each ran in about a quarter of the forwards.
    expect(runs).toBeLessThanOrEqual(pipeline.defaults.numIter * steps * 1.5);
    const diff = results[0].tokens.reduce(
      (m, v, i) => Math.max(m, Math.abs(v - alone.tokens[i])),
      0,
    );
    expect(diff).toBeLessThan(1e-3);
  }, 120_000);
});
