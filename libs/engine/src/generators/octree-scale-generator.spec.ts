import { describe, expect, it } from 'vitest';
import { runToResult } from '../generation/generator';
import type { PrefixStepModel } from '../generation/step-model';
import {
  OctreeScaleGenerator,
  type OctreeLevel,
  type OctreeTokenLayout,
} from './octree-scale-generator';

const layout: OctreeTokenLayout = {
  levels: 4,
  classInput: (c) => 2048 + c,
  nullClassInput: 2048 + 5,
  childInput: (parentToken, child) => parentToken * 8 + child,
};

/** Logits from a function of (row, position, input id, token); records what it was fed. */
class AnalyticPrefixModel implements PrefixStepModel {
  readonly vocabSize = 256;
  readonly maxLength = 585;
  readonly calls: { batch: number; length: number; inputs: Int32Array }[] = [];
  constructor(private readonly logit: (input: number, token: number) => number) {}
  async forward(inputs: Int32Array, batch: number, length: number): Promise<Float32Array> {
    this.calls.push({ batch, length, inputs: inputs.slice() });
    const out = new Float32Array(batch * length * 256);
    for (let row = 0; row < batch; row++)
      for (let p = 0; p < length; p++) {
        const input = inputs[row * length + p];
        for (let t = 0; t < 256; t++) out[(row * length + p) * 256 + t] = this.logit(input, t);
      }
    return out;
  }
}

const decoder = { decode: async (x: { tokens: Int32Array }) => x.tokens };

describe('OctreeScaleGenerator (next-scale over octree levels)', () => {
  it('one forward per level over the growing prefix; children follow their parent bit', async () => {
    // Prefers pattern 1 (only child 0 occupied) everywhere; greedy.
    const model = new AnalyticPrefixModel((_, t) => (t === 1 ? 5 : 0));
    const progress: OctreeLevel[] = [];
    const result = await runToResult(
      new OctreeScaleGenerator(model, layout, decoder).generate(
        { classLabels: [2], guidanceScale: 1, sampling: { temperature: 0 } },
        { seed: 1 },
      ),
      (e) => progress.push(e.preview as OctreeLevel),
    );
    expect(model.calls.map((c) => c.length)).toEqual([1, 9, 73, 585]);
    expect(model.calls[0].inputs[0]).toBe(2050);
    // Level 1 entries: child c of the root (token 1) → input 1·8 + c.
    expect(Array.from(model.calls[1].inputs.subarray(1, 9))).toEqual([
      8, 9, 10, 11, 12, 13, 14, 15,
    ]);
    // Only the first node of every level is occupied (pattern 1); every other node is 0.
    const t = result.tokens;
    expect(t[0]).toBe(1);
    for (const [begin, end] of [
      [1, 9],
      [9, 73],
      [73, 585],
    ]) {
      expect(t[begin]).toBe(1);
      expect(Array.from(t.subarray(begin + 1, end)).every((v) => v === 0)).toBe(true);
    }
    expect(progress.map((p) => [p.level, p.tokens.length])).toEqual([
      [0, 1],
      [1, 8],
      [2, 64],
      [3, 512],
    ]);
  });

  it('sampled shapes are always consistent octrees, repeat for a seed, and guidance doubles the batch with the null class', async () => {
    const model = new AnalyticPrefixModel((input, t) => ((input * 31 + t * 17) % 13) / 3);
    const run = (seed: number) =>
      runToResult(
        new OctreeScaleGenerator(model, layout, decoder).generate(
          { classLabels: [0, 3], guidanceScale: 2, sampling: {}, levels: 3 },
          { seed },
        ),
      );
    const a = await run(9);
    expect(Array.from((await run(9)).tokens)).toEqual(Array.from(a.tokens));
    expect(a.levels).toBe(3);
    expect(model.calls[0].batch).toBe(4);
    expect([0, 1, 2, 3].map((row) => model.calls[0].inputs[row])).toEqual([2048, 2051, 2053, 2053]);
    const total = 73;
    for (let b = 0; b < 2; b++) {
      const tokens = a.tokens.subarray(b * total, (b + 1) * total);
      expect(tokens[0]).toBeGreaterThan(0);
      for (const [k, begin, parentBegin] of [
        [1, 1, 0],
        [2, 9, 1],
      ]) {
        const r = 2 ** k;
        for (let node = 0; node < r ** 3; node++) {
          const x = node % r,
            y = Math.floor(node / r) % r,
            z = Math.floor(node / (r * r));
          const parent = (x >> 1) + (r / 2) * ((y >> 1) + (r / 2) * (z >> 1));
          const bit = (tokens[parentBegin + parent] >> ((x & 1) + 2 * (y & 1) + 4 * (z & 1))) & 1;
          expect(tokens[begin + node] > 0).toBe(bit === 1);
        }
      }
    }
  });

  it('stops at a level boundary when aborted', async () => {
    const controller = new AbortController();
    const model = new AnalyticPrefixModel(() => 0);
    const events = new OctreeScaleGenerator(model, layout, decoder).generate(
      { classLabels: [1], guidanceScale: 1, sampling: {} },
      { seed: 2, signal: controller.signal },
    );
    await expect(
      (async () => {
        for await (const e of events) if (e.type === 'progress' && e.step === 2) controller.abort();
      })(),
    ).rejects.toThrow(/aborted after step 2/);
    expect(model.calls).toHaveLength(2);
  });
});
