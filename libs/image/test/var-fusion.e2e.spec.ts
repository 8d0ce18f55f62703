import { runToResult, type NextScaleRequest, type NextScaleResult } from '@nextx/engine';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigitClassifier, loadVarPipeline, type ImageBatch, type VarPipeline } from '../src';

describe('VAR cross-request fusion on the reference model', () => {
  const repository = new ModelRepository(referenceModelsDir());
  let pipeline: VarPipeline;
  let classifier: DigitClassifier;
  const request = (classLabels: number[], cfg = pipeline.defaults.cfg): NextScaleRequest => ({
    classLabels,
    cfg,
    sampling: {
      temperature: pipeline.defaults.temperature,
      topK: pipeline.defaults.topK,
      topP: pipeline.defaults.topP,
    },
    previews: true,
  });
  const alone = (q: NextScaleRequest, seed: number) =>
    runToResult(
      pipeline.generator((q.cfg !== 0 ? 2 : 1) * q.classLabels.length).generate(q, { seed }),
    );
  const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
    a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

  beforeAll(async () => {
    pipeline = await loadVarPipeline(repository, 'var-mnist');
    classifier = new DigitClassifier(
      (await repository.load('mnist-classifier')).graph('classifier'),
    );
  }, 60_000);
  afterAll(() => repository.close());

  it('a request alone gives exactly the images of the unfused generator (same seed)', async () => {
    const fusion = pipeline.fused(64);
    for (const [seed, q] of [
      [3, request([4])],
      [9, request([1, 7, 7], 0)],
    ] as const) {
      const previews: unknown[] = [];
      const fused = await runToResult(
        pipeline.fusedGenerator(fusion.member()).generate(q, { seed }),
        (e) => previews.push(e.preview),
      );
      const own = await alone(q, seed);
      expect(previews).toHaveLength(pipeline.scales.length);
      expect(Array.from(fused.codes)).toEqual(Array.from(own.codes));
      expect(Array.from(fused.media.pixels)).toEqual(Array.from(own.media.pixels));
    }
    expect(fusion.stats.rounds).toBe(2);
  });

  it('concurrent requests share one forward, f̂ update and decode per scale', async () => {
    const fusion = pipeline.fused(64);
    const update = pipeline.model.graph('scale_update');
    const decode = pipeline.model.graph('decoder');
    const before = { update: update.stats.runs, decode: decode.stats.runs };
    const qs = [request([0]), request([3, 3], 0), request([5]), request([8, 9, 6])];
    const results = await Promise.all(
      qs.map((q, i) =>
        runToResult(pipeline.fusedGenerator(fusion.member()).generate(q, { seed: 20 + i })),
      ),
    );
    const scales = pipeline.scales.length;
    expect(fusion.stats).toMatchObject({
      rounds: 1,
      forwards: scales,
      rowForwards: scales * (2 + 2 + 2 + 6),
      updates: scales,
      decodes: scales,
    });
    expect(update.stats.runs - before.update).toBe(scales);
    expect(decode.stats.runs - before.decode).toBe(scales);
    // Each request keeps its own seed and settings: batched, it computes what it computes alone
    // (up to the float rounding of a larger batch).
    let sameCodes = 0;
    let tokens = 0;
    for (const [i, q] of qs.entries()) {
      const own = await alone(q, 20 + i);
      expect(results[i]!.media.images).toBe(q.classLabels.length);
      tokens += own.codes.length;
      sameCodes += own.codes.filter((c, j) => c === results[i]!.codes[j]).length;
    }
    console.log(`fused vs alone: ${sameCodes}/${tokens} codes identical`);
    expect(sameCodes / tokens).toBeGreaterThan(0.9);
    const labels = qs.flatMap((q) => q.classLabels);
    const all = new Float32Array(labels.length * 32 * 32);
    let at = 0;
    for (const r of results) {
      all.set(r.media.pixels, at);
      at += r.media.pixels.length;
    }
    const agreement = await classifier.agreement(
      { ...results[0]!.media, pixels: all, images: labels.length },
      labels,
    );
    expect(agreement).toBeGreaterThanOrEqual(0.5);
  });

  it('an aborted request leaves within one scale; the others finish', async () => {
    const fusion = pipeline.fused(64);
    const controller = new AbortController();
    const qs = [request([1]), request([2]), request([7])];
    const runs = qs.map((q, i) =>
      runToResult(
        pipeline
          .fusedGenerator(fusion.member(i === 1 ? controller.signal : undefined))
          .generate(q, { seed: 50 + i, signal: i === 1 ? controller.signal : undefined }),
        (e) => {
          if (i === 1 && e.step === 2) controller.abort();
        },
      ),
    );
    const settled = await Promise.allSettled(runs);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ name: 'AbortError' });
    const scales = pipeline.scales.length;
    expect(fusion.stats.rowForwards).toBe(2 * 6 + (scales - 2) * 4);
    for (const i of [0, 2]) {
      const r = (settled[i] as PromiseFulfilledResult<NextScaleResult<ImageBatch>>).value;
      const own = await alone(qs[i]!, 50 + i);
      expect(maxAbsDiff(r.media.pixels, own.media.pixels)).toBeLessThan(1);
      expect(r.codes.length).toBe(own.codes.length);
    }
    expect(fusion.rows).toBe(0);
  });
});
