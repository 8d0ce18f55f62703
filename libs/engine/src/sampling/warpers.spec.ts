import { describe, expect, it } from 'vitest';
import { buildLogitsProcessors } from './build-logits-processors';
import { GreedyLogitsWarper } from './greedy';
import { LogitsProcessorList, type LogitsContext } from './logits-processor';
import { MinPLogitsWarper } from './min-p';
import { TemperatureLogitsWarper } from './temperature';
import { TopKLogitsWarper } from './top-k';
import { TopPLogitsWarper } from './top-p';

const context: LogitsContext = { step: 0, generated: [] };

/** Ids that survive a processor, in ascending order. */
function kept(
  processor: { process(l: Float32Array, c: LogitsContext): void },
  logits: number[],
  ctx = context,
): number[] {
  const row = Float32Array.from(logits);
  processor.process(row, ctx);
  return [...row.keys()].filter((i) => row[i] !== -Infinity);
}

const logOf = (probs: number[]) => probs.map(Math.log);

describe('TemperatureLogitsWarper', () => {
  it('divides by the temperature and clamps 0 to 1e-5 as LlamaGen', () => {
    const row = Float32Array.from([2, -1, 0.5]);
    new TemperatureLogitsWarper(0.5).process(row);
    expect([...row]).toEqual([4, -2, 1]);
    const cold = Float32Array.from([1e-3, 0]);
    new TemperatureLogitsWarper(0).process(cold);
    expect(cold[0]).toBeCloseTo(100, 3);
    expect(() => new TemperatureLogitsWarper(-1)).toThrow(RangeError);
  });
});

describe('GreedyLogitsWarper (temperature 0)', () => {
  it('keeps only the first largest logit, and buildLogitsProcessors uses it for temperature 0', () => {
    expect(kept(new GreedyLogitsWarper(), [1, 3, 3, -Infinity, 2])).toEqual([1]);
    expect(kept(buildLogitsProcessors({ temperature: 0, topK: 3 }), [0.5, 0.2, 0.50001])).toEqual([
      2,
    ]);
  });
});

describe('TopKLogitsWarper (HF: remove scores < k-th largest)', () => {
  it('keeps the k largest', () => {
    expect(kept(new TopKLogitsWarper(3), [1, 3, 2, 3, 0])).toEqual([1, 2, 3]);
  });

  it('keeps every token tied with the k-th largest', () => {
    expect(kept(new TopKLogitsWarper(2), [1, 3, 2, 3, 0])).toEqual([1, 3]);
    expect(kept(new TopKLogitsWarper(2), [5, 4, 4, 4, 1])).toEqual([0, 1, 2, 3]);
    expect(kept(new TopKLogitsWarper(1), [2, 2, 1])).toEqual([0, 1]);
  });

  it('raises k to min_tokens_to_keep, and k = 0 or k >= vocab is a no-op', () => {
    expect(kept(new TopKLogitsWarper(1, 3), [0, 5, 1, 4, 2])).toEqual([1, 3, 4]);
    expect(kept(new TopKLogitsWarper(0), [0, 5, 1])).toEqual([0, 1, 2]);
    expect(kept(new TopKLogitsWarper(9), [0, 5, 1])).toEqual([0, 1, 2]);
  });

  it('treats already masked tokens as smallest', () => {
    expect(kept(new TopKLogitsWarper(2), [-Infinity, 1, -Infinity, 0, -3])).toEqual([1, 3]);
  });
});

describe('TopPLogitsWarper (HF: remove cumulative ascending prob <= 1 - top_p)', () => {
  // Sorted ascending: 0.05 (cum 0.05), 0.1 (0.15), 0.15 (0.30), 0.3 (0.60), 0.4 (1.0).
  const probs = [0.15, 0.4, 0.05, 0.3, 0.1];

  it('keeps the smallest set whose mass exceeds top_p', () => {
    expect(kept(new TopPLogitsWarper(0.75), logOf(probs))).toEqual([0, 1, 3]);
    expect(kept(new TopPLogitsWarper(0.5), logOf(probs))).toEqual([1, 3]);
    expect(kept(new TopPLogitsWarper(0.3), logOf(probs))).toEqual([1]);
    expect(kept(new TopPLogitsWarper(0.95), logOf(probs))).toEqual([0, 1, 3, 4]);
  });

  it('always keeps min_tokens_to_keep, even at top_p = 0', () => {
    expect(kept(new TopPLogitsWarper(0.3, 2), logOf(probs))).toEqual([1, 3]);
    expect(kept(new TopPLogitsWarper(0), logOf(probs))).toEqual([1]);
    expect(kept(new TopPLogitsWarper(0, 3), logOf(probs))).toEqual([0, 1, 3]);
  });

  it('masks a token whose cumulative mass equals 1 - top_p exactly, lower ids first among ties', () => {
    // Four equal logits: cumulative 0.25, 0.5 <= 0.5 → the first two in the stable sort go.
    expect(kept(new TopPLogitsWarper(0.5), [0, 0, 0, 0])).toEqual([2, 3]);
    expect(kept(new TopPLogitsWarper(0.6), [0, 0, 0, 0])).toEqual([1, 2, 3]);
    expect(kept(new TopPLogitsWarper(0.5), [0, -0, 0, -0])).toEqual([2, 3]);
  });

  it('keeps everything with non-zero mass at top_p = 1', () => {
    expect(kept(new TopPLogitsWarper(1), [0, -Infinity, 1])).toEqual([0, 2]);
  });
});

describe('MinPLogitsWarper (HF: keep prob >= min_p · max prob)', () => {
  const probs = [0.1, 0.5, 0.05, 0.2, 0.15];

  it('keeps tokens above the scaled floor', () => {
    expect(kept(new MinPLogitsWarper(0.25), logOf(probs))).toEqual([1, 3, 4]); // floor 0.125
    expect(kept(new MinPLogitsWarper(0.35), logOf(probs))).toEqual([1, 3]); // floor 0.175
    expect(kept(new MinPLogitsWarper(0.5), logOf(probs))).toEqual([1]); // floor 0.25
    expect(kept(new MinPLogitsWarper(0), logOf(probs))).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps min_tokens_to_keep most probable', () => {
    expect(kept(new MinPLogitsWarper(0.5, 3), logOf(probs))).toEqual([1, 3, 4]);
    expect(kept(new MinPLogitsWarper(0.35, 1), logOf(probs))).toEqual([1, 3]);
  });
});

describe('buildLogitsProcessors', () => {
  it('orders processors as HF: temperature, top-k, top-p, min-p', () => {
    const list = buildLogitsProcessors({
      temperature: 0.7,
      topK: 5,
      topP: 0.9,
      minP: 0.05,
    });
    expect([...list].map((p) => p.constructor.name)).toEqual([
      'TemperatureLogitsWarper',
      'TopKLogitsWarper',
      'TopPLogitsWarper',
      'MinPLogitsWarper',
    ]);
  });

  it('adds nothing for neutral options', () => {
    expect(buildLogitsProcessors({ temperature: 1, topK: 0, topP: 1, minP: 0 }).length).toBe(0);
    expect(new LogitsProcessorList().length).toBe(0);
  });

  it('applies top-k before top-p (order matters: top-p renormalises over the top-k set)', () => {
    // After top-k = 2 the survivors are 0.4 and 0.3 → renormalised 0.571 / 0.429; top-p 0.5 keeps only the first.
    const probs = [0.15, 0.4, 0.05, 0.3, 0.1];
    expect(kept(buildLogitsProcessors({ topK: 2, topP: 0.5 }), logOf(probs))).toEqual([1]);
    expect(kept(buildLogitsProcessors({ topP: 0.5 }), logOf(probs))).toEqual([1, 3]);
  });
});
