import { runToResult } from '@nextx/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { DigitClassifier, loadVarPipeline, type VarPipeline } from '../src';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';

describe('VAR next-scale generation on the reference model', () => {
  const repository = new ModelRepository(referenceModelsDir());
  let pipeline: VarPipeline;
  let classifier: DigitClassifier;
  const request = (classLabels: number[]) => ({
    classLabels,
    cfg: pipeline.defaults.cfg,
    sampling: {
      temperature: pipeline.defaults.temperature,
      topK: pipeline.defaults.topK,
      topP: pipeline.defaults.topP,
    },
  });

  beforeAll(async () => {
    pipeline = await loadVarPipeline(repository, 'var-mnist');
    classifier = new DigitClassifier(
      (await repository.load('mnist-classifier')).graph('classifier'),
    );
  }, 60_000);

  it('reaches the class agreement recorded in model.json (1,000 samples at the defaults)', async () => {
    const labels = Array.from({ length: 1000 }, (_, i) => Math.floor(i / 100));
    const result = await runToResult(
      pipeline.generator(2 * labels.length).generate(request(labels), { seed: 1 }),
    );
    const agreement = await classifier.agreement(result.media, labels);
    const recorded = Number(
      (pipeline.model.manifest.eval as Record<string, unknown>)['class_agreement'],
    );
    console.log(`VAR class agreement ${agreement.toFixed(3)} (model.json: ${recorded})`);
    expect(recorded).toBeGreaterThan(0);
    expect(agreement).toBeGreaterThanOrEqual(
      recorded - 3 * Math.sqrt((recorded * (1 - recorded)) / 1000),
    );
  }, 120_000);

  it('streams one progress event per scale with a decoded preview, and is deterministic per seed', async () => {
    const previews: unknown[] = [];
    const run = (seed: number) =>
      runToResult(
        pipeline.generator(4).generate({ ...request([2, 8]), previews: true }, { seed }),
        (e) => previews.push(e.preview),
      );
    const a = await run(4);
    expect(previews).toHaveLength(pipeline.scales.length);
    expect(previews.every((p) => p !== undefined)).toBe(true);
    const b = await run(4);
    const c = await run(5);
    expect(Array.from(b.codes)).toEqual(Array.from(a.codes));
    expect(Array.from(c.codes)).not.toEqual(Array.from(a.codes));
  });

  it('stops within one step of an abort', async () => {
    const controller = new AbortController();
    const error = await runToResult(
      pipeline.generator(2).generate(request([1]), { seed: 1, signal: controller.signal }),
      (e) => {
        if (e.step === 2) controller.abort();
      },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError', step: 2 });
  });
});
