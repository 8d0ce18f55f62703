import { describe, expect, it } from 'vitest';
import { createRng } from '../random/rng';
import { GreedyLogitsWarper } from './greedy';
import type { LogitsProcessor } from './logits-processor';
import { MinPLogitsWarper } from './min-p';
import { softmax } from './softmax';
import { TemperatureLogitsWarper } from './temperature';
import { TopKLogitsWarper } from './top-k';
import { TopPLogitsWarper } from './top-p';

const context = { step: 2, generated: [1, 2] };

/** Random rows with ties (small integer logits) and some pre-masked entries. */
function rows(seed: number, count: number, vocab: number): Float32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () =>
    Float32Array.from({ length: vocab }, () => (rng.uniform() < 0.1 ? -Infinity : rng.int(7) - 3)),
  );
}

const processors: Record<string, LogitsProcessor> = {
  temperature: new TemperatureLogitsWarper(0.7),
  'top-k': new TopKLogitsWarper(5),
  'top-p': new TopPLogitsWarper(0.8),
  'min-p': new MinPLogitsWarper(0.2),
  greedy: new GreedyLogitsWarper(),
};

describe.each(Object.entries(processors))('LogitsProcessor contract: %s', (_name, processor) => {
  it('never unmasks, never produces NaN and leaves something to sample', () => {
    for (const row of rows(1, 200, 24)) {
      const before = Float32Array.from(row);
      processor.process(row, context);
      expect(row.some((v) => v > -Infinity)).toBe(true);
      row.forEach((v, i) => {
        expect(Number.isNaN(v)).toBe(false);
        if (before[i] === -Infinity) expect(v).toBe(-Infinity);
      });
    }
  });
});

/** HF's rules written the slow, obvious way (sort a copy, softmax, cumulate). */
const reference = {
  topK(row: Float32Array, k: number): boolean[] {
    const kth = [...row].sort((a, b) => b - a)[Math.min(k, row.length) - 1];
    return [...row].map((v) => v >= kth);
  },
  topP(row: Float32Array, topP: number, minKeep: number): boolean[] {
    const probs = softmax(row);
    const order = [...row.keys()].sort((a, b) => row[a] - row[b] || a - b);
    const keep = [...row].map(() => true);
    let cumulative = 0;
    order.forEach((index, rank) => {
      cumulative += probs[index];
      if (cumulative <= 1 - topP && rank < row.length - minKeep) keep[index] = false;
    });
    return keep.map((k, i) => k && row[i] > -Infinity);
  },
  minP(row: Float32Array, minP: number, minKeep: number): boolean[] {
    const probs = softmax(row);
    const top = Math.max(...probs);
    const kth = [...row].sort((a, b) => b - a)[minKeep - 1];
    return [...probs].map((p, i) => (p >= minP * top || row[i] >= kth) && row[i] > -Infinity);
  },
};

function survivors(processor: LogitsProcessor, row: Float32Array): boolean[] {
  const copy = Float32Array.from(row);
  processor.process(copy, context);
  return [...copy].map((v) => v > -Infinity);
}

describe('warpers agree with a direct transcription of the HF rules on random rows with ties', () => {
  it('top-k for k = 1 … 24', () => {
    for (const row of rows(2, 50, 24)) {
      for (let k = 1; k <= 24; k++) {
        expect(survivors(new TopKLogitsWarper(k), row)).toEqual(
          reference.topK(row, k).map((keep, i) => keep && row[i] > -Infinity),
        );
      }
    }
  });

  it('top-p for several p and min_tokens_to_keep', () => {
    for (const row of rows(3, 50, 24)) {
      for (const p of [0.1, 0.33, 0.5, 0.77, 0.9, 0.99]) {
        for (const minKeep of [1, 3]) {
          expect(survivors(new TopPLogitsWarper(p, minKeep), row)).toEqual(
            reference.topP(row, p, minKeep),
          );
        }
      }
    }
  });

  it('min-p for several p and min_tokens_to_keep', () => {
    for (const row of rows(4, 50, 24)) {
      for (const p of [0.05, 0.1, 0.3, 0.6, 0.95]) {
        for (const minKeep of [1, 4]) {
          expect(survivors(new MinPLogitsWarper(p, minKeep), row)).toEqual(
            reference.minP(row, p, minKeep),
          );
        }
      }
    }
  });
});
