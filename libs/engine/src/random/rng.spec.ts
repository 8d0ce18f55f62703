import { describe, expect, it } from 'vitest';
import { createRng } from './rng';

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
  });
});
