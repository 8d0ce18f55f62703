import { describe, expect, it } from 'vitest';
import { runToResult, type ProgressEvent } from '../../generation/generator';
import { NextBlockVideoGenerator } from './next-block-video-generator';
import { NextTokenVideoGenerator } from './next-token-video-generator';
import { RecordingVideoStepModel } from './testing-video-step-model';
import type { FramePreview } from './video-generation';

// 4 tokens per frame, codes 0..9, BOV 10, middle-BOS 11, 3 frames of entries cached at most.
const B = 4;
const V = 10;
const layout = {
  tokensPerFrame: B,
  codebookSize: V,
  bovId: 10,
  middleBosId: 11,
  maxCachedFrames: 3,
};
const decoder = { decode: async (codes: Int32Array) => Array.from(codes) };
const greedy = { temperature: 1, topK: 1 };
const request = (frames: number, sampling: object = greedy) => ({
  frames,
  conditions: 'digits 3,7',
  sampling,
});

describe('NextBlockVideoGenerator (NBP, one frame per block)', () => {
  it('runs B token steps for frame 0, then one block step per frame, streaming every frame', async () => {
    const model = new RecordingVideoStepModel(V, 64);
    const generator = new NextBlockVideoGenerator(model, layout, decoder);
    const previews: FramePreview<number[]>[] = [];
    const result = await runToResult(
      generator.generate(request(3), { seed: 1 }),
      (e: ProgressEvent) => previews.push(e.preview as FramePreview<number[]>),
    );
    expect(result.steps).toBe(B + 2);
    expect(model.forwards).toBe(B + 2);
    expect(previews.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(result.frames.flat()).toEqual(Array.from(result.codes));
    const fed = model.cache.map((e) => e.id);
    const c = Array.from(result.codes);
    // BOV, frame-0 tokens 0..2, then [token 3, MBOS × 3], then frame 1.
    expect(fed).toEqual([10, c[0], c[1], c[2], c[3], 11, 11, 11, ...c.slice(4, 8)]);
    expect(model.cache.map((e) => e.spatial)).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    // Greedy under the double's logits: code = (fed id · 7 + spatial + |conditions|) mod V.
    expect(c[4]).toBe((c[3] * 7 + 0 + 10) % V);
    expect(c[5]).toBe((11 * 7 + 1 + 10) % V);
  });

  it('slides past the context: drops whole old frames from the front, positions keep increasing', async () => {
    const model = new RecordingVideoStepModel(V, 3 * 2 * B);
    const generator = new NextBlockVideoGenerator(model, layout, decoder);
    const result = await runToResult(generator.generate(request(12), { seed: 1 }));
    expect(result.frames).toHaveLength(12);
    expect(result.steps).toBe(B + 11);
    // Frame 0 owns BOV, its tokens and the middle-BOS block (2B entries); later frames B each.
    expect(model.dropped).toEqual([2 * B, ...Array(7).fill(B)]);
    expect(model.longest).toBe((3 + 1) * B);
    expect(model.cache).toHaveLength(3 * B);
    const positions = model.cache.map((e) => e.position);
    expect(positions[positions.length - 1]).toBe(2 * B + 10 * B - 1);
    expect(model.cache.slice(-B).map((e) => e.id)).toEqual(
      Array.from(result.codes.slice(10 * B, 11 * B)),
    );
  });

  it('continues from a prompt: its last frames go in as blocks, the first new frame comes from the last', async () => {
    const model = new RecordingVideoStepModel(V, 64);
    const generator = new NextBlockVideoGenerator(model, layout, decoder);
    // Four prompt frames; with 3 cached frames only the last three are fed.
    const prompt = Int32Array.from({ length: 4 * B }, (_, i) => (i * 5) % V);
    const result = await runToResult(generator.generate({ ...request(2), prompt }, { seed: 1 }));
    expect(result.codes).toHaveLength(2 * B);
    expect(result.steps).toBe(2 + 2);
    const c = Array.from(result.codes);
    expect(model.cache.map((e) => e.id)).toEqual([...prompt.slice(2 * B, 4 * B), ...c.slice(0, B)]);
    expect(c[0]).toBe((prompt[3 * B] * 7 + 0 + 10) % V);
    // Prompt frames 0..3 start the clip; fed frames 1..3 sit where NBP puts fed frame f, at
    // entry (f + 1)·B, and frame 1 has left the cache: it starts at fed frame 2.
    expect(model.cache[0].position).toBe(3 * B);
    await expect(
      runToResult(generator.generate({ ...request(1), prompt: prompt.subarray(1) }, { seed: 1 })),
    ).rejects.toThrow(/prompt/);
  });

  it('places prompt entries at their positions in the whole clip (firstFrame)', async () => {
    const model = new RecordingVideoStepModel(V, 64);
    const generator = new NextBlockVideoGenerator(model, layout, decoder);
    const prompt = Int32Array.from({ length: 2 * B }, (_, i) => i % V);
    await runToResult(generator.generate({ ...request(1), prompt, firstFrame: 10 }, { seed: 1 }));
    // Prompt = clip frames 8 and 9: fed frame 8 starts at entry 9·B.
    expect(model.cache.map((e) => e.position)).toEqual(
      Array.from({ length: 2 * B }, (_, i) => 9 * B + i),
    );
    await expect(
      runToResult(generator.generate({ ...request(1), prompt, firstFrame: 1 }, { seed: 1 })),
    ).rejects.toThrow(/first_frame/);
    await expect(
      runToResult(generator.generate({ ...request(1), firstFrame: 3 }, { seed: 1 })),
    ).rejects.toThrow(/first_frame.*0 without prompt frames/);
  });

  it('gives identical frames for the same seed and different ones for another seed', async () => {
    const run = async (seed: number) => {
      const generator = new NextBlockVideoGenerator(
        new RecordingVideoStepModel(V, 64),
        layout,
        decoder,
      );
      return Array.from(
        (await runToResult(generator.generate(request(5, { temperature: 1.5 }), { seed }))).codes,
      );
    };
    expect(await run(7)).toEqual(await run(7));
    expect(await run(7)).not.toEqual(await run(8));
  });

  it('stops at a step boundary when aborted', async () => {
    const controller = new AbortController();
    const generator = new NextBlockVideoGenerator(
      new RecordingVideoStepModel(V, 64),
      layout,
      decoder,
    );
    const frames: number[] = [];
    await expect(
      runToResult(generator.generate(request(8), { seed: 1, signal: controller.signal }), (e) => {
        frames.push(e.step);
        if (e.step === 2) controller.abort();
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(frames).toEqual([1, 2]);
  });
});

describe('NextTokenVideoGenerator (next-token baseline)', () => {
  it('takes one step per token and keeps at most maxCachedFrames frames of entries', async () => {
    const model = new RecordingVideoStepModel(V, 3 * B + 1);
    const generator = new NextTokenVideoGenerator(model, layout, decoder);
    const result = await runToResult(generator.generate(request(7), { seed: 3 }));
    expect(result.steps).toBe(7 * B);
    expect(model.forwards).toBe(7 * B);
    expect(result.frames).toHaveLength(7);
    // Frame 0 owns BOV and its own tokens (B + 1 entries); later frames B each.
    expect(model.dropped).toEqual([B + 1, B, B, B]);
    expect(model.longest).toBe(3 * B + 1);
    const c = Array.from(result.codes);
    expect(model.cache.map((e) => e.id)).toEqual(c.slice(4 * B, 7 * B - 1));
    expect(c[1]).toBe((c[0] * 7 + 1 + 10) % V);
  });

  it('continues from a prompt fed one frame per step', async () => {
    const model = new RecordingVideoStepModel(V, 3 * B + 1);
    const generator = new NextTokenVideoGenerator(model, layout, decoder);
    const prompt = Int32Array.from({ length: 2 * B }, (_, i) => (i * 3) % V);
    const result = await runToResult(generator.generate({ ...request(2), prompt }, { seed: 1 }));
    expect(result.steps).toBe(2 + 2 * B - 1);
    const c = Array.from(result.codes);
    // The last prompt entry (spatial target 0 of the next frame) predicts the first new token.
    expect(c[0]).toBe((prompt[2 * B - 1] * 7 + 0 + 10) % V);
    expect(model.cache.slice(0, 2 * B).map((e) => e.spatial)).toEqual([1, 2, 3, 0, 1, 2, 3, 0]);
    // Entry 0 of the clip is the BOV, so token f·B is entry f·B + 1; prompt frame 0 has left the
    // cache by now, and the cache starts at prompt frame 1.
    expect(model.cache[0].position).toBe(B + 1);
  });

  it('places prompt tokens at their positions in the whole clip (firstFrame)', async () => {
    const model = new RecordingVideoStepModel(V, 3 * B + 1);
    const generator = new NextTokenVideoGenerator(model, layout, decoder);
    const prompt = Int32Array.from({ length: 2 * B }, (_, i) => i % V);
    await runToResult(generator.generate({ ...request(1), prompt, firstFrame: 5 }, { seed: 1 }));
    // Prompt = clip frames 3 and 4: token 3·B is entry 3·B + 1.
    expect(model.cache[0].position).toBe(3 * B + 1);
  });
});
