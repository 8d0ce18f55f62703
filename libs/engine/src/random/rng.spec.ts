import { describe, expect, it } from 'vitest';
import { mersenne } from 'pure-rand/generator/mersenne';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { createRng, MAX_SEED } from './rng';

const draws = (seed: number, n = 8) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.uniform());
};

describe('createRng', () => {
  it('repeats the same stream for the same seed and differs for another seed', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const streamA = Array.from({ length: 16 }, () => a.uniform());
    expect(Array.from({ length: 16 }, () => b.uniform())).toEqual(streamA);
    expect(Array.from({ length: 16 }, () => c.uniform())).not.toEqual(streamA);
  });

  it('separates seeds that differ only above 32 bits', () => {
    const low = createRng(5).uniform();
    const high = createRng(5 + 2 ** 40).uniform();
    expect(high).not.toBe(low);
  });

  it('gives seeds that share their low 32 bits or fold onto each other their own streams', () => {
    // The old fold (lo ^ hi) sent each pair to one 32-bit seed.
    expect(draws(2 ** 40 + 5)).not.toEqual(draws(261));
    expect(draws(2 ** 32 + 1)).not.toEqual(draws(0));
    expect(draws(2 ** 32 + 7)).not.toEqual(draws(2 ** 33 + 7));
    expect(draws(MAX_SEED)).not.toEqual(draws(MAX_SEED - 2 ** 32));
    // Every high word with one low word, and the pairs the fold sent to the same seed.
    const first = new Set<number>();
    for (let hi = 0; hi < 2048; hi++) {
      first.add(createRng(hi * 2 ** 32 + 12345).uniform());
      first.add(createRng(hi * 2 ** 32 + (12345 ^ hi)).uniform());
    }
    expect(first.size).toBe(2 * 2048 - 1);
  });

  it('keeps the stream pure-rand gives seeds below 2^32, so recorded outputs stay as they were', () => {
    for (const seed of [0, 1, 7, 261, 2 ** 31, 2 ** 32 - 1]) {
      const reference = mersenne(seed | 0);
      expect(draws(seed)).toEqual(Array.from({ length: 8 }, () => uniformFloat64(reference)));
    }
  });

  it('draws standard normals with mean 0 and variance 1', () => {
    const rng = createRng(1);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.normal();
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / n;
    // 5 standard errors: fails only if the generator is biased.
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sumSq / n - mean * mean - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it('refuses negative or fractional seeds', () => {
    expect(() => createRng(-1)).toThrow(RangeError);
    expect(() => createRng(1.5)).toThrow(RangeError);
    expect(() => createRng(MAX_SEED + 1)).toThrow(RangeError);
  });
});
