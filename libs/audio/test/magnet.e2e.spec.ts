import { runToResult, type ProgressEvent } from '@nextx/engine';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMagnetPipeline, type MagnetPipeline } from '../src';

describe('magnet-notes: MAGNeT decoding on the reference model', () => {
  const repository = new ModelRepository(referenceModelsDir());
  let pipeline: MagnetPipeline;
  const request = (seedFamily: number) => {
    const m = pipeline.facts.magnet!;
    return {
      conditions: [[seedFamily, 12]],
      nullCondition: [pipeline.facts.nullFamily, pipeline.facts.nullPitch],
      frames: 24,
      decodingSteps: m.decodingSteps,
      maxCfg: m.maxCfgCoef,
      minCfg: m.minCfgCoef,
      temperature: m.temperature,
      annealTemperature: m.annealTemperature,
      topK: m.topK,
      topP: m.topP,
    };
  };

  beforeAll(async () => {
    pipeline = await loadMagnetPipeline(repository, 'magnet-notes');
  }, 60_000);

  it('runs 20 + 10 + 10 + 10 iterations codebook by codebook and leaves no mask token', async () => {
    const stages: string[] = [];
    const result = await runToResult(
      pipeline.generator().generate(request(2), { seed: 4 }),
      (e: ProgressEvent) => stages.push(e.stage),
    );
    expect(stages).toHaveLength(50);
    expect(stages.filter((s) => s === 'codebook 0')).toHaveLength(20);
    expect(stages[49]).toBe('codebook 3');
    expect(result.codes.every((c) => c >= 0 && c < pipeline.facts.codebookSize)).toBe(true);
    expect(result.media.length).toBe(24 * 320);
    const again = await runToResult(pipeline.generator().generate(request(2), { seed: 4 }));
    expect(Array.from(again.codes)).toEqual(Array.from(result.codes));
  });
});
