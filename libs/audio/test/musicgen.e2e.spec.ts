import { runToResult, type FrameChunk, type ProgressEvent } from '@nextx/engine';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMusicgenPipeline, type AudioBatch, type MusicgenPipeline } from '../src';

describe('musicgen-notes: the delay-pattern loop on the reference model', () => {
  const repository = new ModelRepository(referenceModelsDir());
  let pipeline: MusicgenPipeline;
  const request = (family: number, pitch: number, frames = 25) => ({
    conditions: [[family, pitch - pipeline.facts.pitchMin]],
    nullCondition: [pipeline.facts.nullFamily, pipeline.facts.nullPitch],
    frames,
    guidanceScale: pipeline.facts.musicgen!.cfgCoef,
    sampling: { temperature: 1, topK: 250 },
  });

  beforeAll(async () => {
    pipeline = await loadMusicgenPipeline(repository, 'musicgen-notes', { maxBatch: 16 });
  }, 60_000);

  it('runs T + 3 steps, streams chunks of final frames and decodes T · hop samples', async () => {
    const chunks: FrameChunk<AudioBatch>[] = [];
    const result = await runToResult(
      pipeline.generator(pipeline.stepModel(2), 5).generate(request(3, 60), { seed: 1 }),
      (e: ProgressEvent) => {
        if (e.preview) chunks.push(e.preview as FrameChunk<AudioBatch>);
      },
    );
    expect(result.media.length).toBe(25 * 320);
    expect(chunks.map((c) => [c.fromFrame, c.toFrame])).toEqual([
      [0, 5],
      [5, 10],
      [10, 15],
      [15, 20],
      [20, 25],
    ]);
    let worst = 0;
    for (const c of chunks)
      for (let i = 0; i < c.chunk.samples.length; i++)
        worst = Math.max(worst, Math.abs(c.chunk.samples[i] - result.media.samples[c.fromFrame * 320 + i]));
    expect(worst).toBeLessThan(1e-4);
  });

  it('fused: a request that joins a running batch computes what it computes alone', async () => {
    const alone = await runToResult(
      pipeline.generator(pipeline.stepModel(2), 5).generate(request(5, 62), { seed: 9 }),
    );
    const fused = pipeline.fused();
    // One starts first; the second joins a few steps later (left-padded rows in the shared cache).
    const first = runToResult(
      pipeline.generator(fused.codebookSequence(), 5).generate(request(1, 50, 30), { seed: 3 }),
    );
    await new Promise((r) => setTimeout(r, 20));
    const second = runToResult(
      pipeline.generator(fused.codebookSequence(), 5).generate(request(5, 62), { seed: 9 }),
    );
    const [, joined] = await Promise.all([first, second]);
    expect(Array.from(joined.codes)).toEqual(Array.from(alone.codes));
    expect(fused.stats.maxRows).toBe(4);
  });
});
