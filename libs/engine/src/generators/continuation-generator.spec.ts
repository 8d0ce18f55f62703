import { describe, expect, it } from 'vitest';
import { runToResult } from '../generation/generator';
import { ContinuationGenerator } from './continuation-generator';
import { BigramStepModel } from './testing/bigram-step-model';

const VOCAB = 8;
/** After token t the next is t + 1 (mod 8) with logit 5, else t + 2 with logit 4, others −∞. */
function table(): Float32Array {
  const t = new Float32Array(VOCAB * VOCAB).fill(Number.NEGATIVE_INFINITY);
  for (let a = 0; a < VOCAB; a++) {
    t[a * VOCAB + ((a + 1) % VOCAB)] = 5;
    t[a * VOCAB + ((a + 2) % VOCAB)] = 4;
  }
  return t;
}
const decoder = { decode: async (x: { tokens: Int32Array }) => Array.from(x.tokens) };

describe('ContinuationGenerator (Chronos sample paths)', () => {
  it('runs the prompt once, one batched forward per later step, and continues from its last token', async () => {
    const model = new BigramStepModel(table(), VOCAB);
    const generator = new ContinuationGenerator(model, decoder);
    const greedy = await runToResult(
      generator.generate(
        {
          prompt: Int32Array.of(0, 1, 2),
          continuations: 3,
          length: 4,
          sampling: { temperature: 0 },
        },
        { seed: 1 },
      ),
    );
    expect(greedy.media).toEqual([3, 4, 5, 6, 3, 4, 5, 6, 3, 4, 5, 6]);
    // startShared's prompt forward + 3 steps (the last step's forward is skipped).
    expect(model.forwards).toBe(4);
  });

  it('rows draw independently, a seed repeats its paths, and ids outside `allowed` are never drawn', async () => {
    const run = (seed: number) =>
      runToResult(
        new ContinuationGenerator(new BigramStepModel(table(), VOCAB), decoder).generate(
          { prompt: Int32Array.of(4), continuations: 16, length: 6, sampling: {}, allowed: [0, 7] },
          { seed },
        ),
      );
    const a = await run(7);
    expect((await run(7)).media).toEqual(a.media);
    const rows = Array.from({ length: 16 }, (_, r) => a.media.slice(r * 6, r * 6 + 6).join());
    expect(new Set(rows).size).toBeGreaterThan(1);
    expect(a.media.every((id) => id >= 0 && id < 7)).toBe(true);
  });

  it('stops at a step boundary when aborted and frees the model', async () => {
    const controller = new AbortController();
    const model = new BigramStepModel(table(), VOCAB);
    const events = new ContinuationGenerator(model, decoder).generate(
      { prompt: Int32Array.of(1), continuations: 2, length: 50, sampling: {} },
      { seed: 3, signal: controller.signal },
    );
    let steps = 0;
    await expect(
      (async () => {
        for await (const e of events) {
          if (e.type === 'progress' && ++steps === 5) controller.abort();
        }
      })(),
    ).rejects.toThrow(/aborted after step 5/);
    expect(model.batch).toBe(0);
  });
});
