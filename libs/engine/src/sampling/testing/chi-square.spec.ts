import { describe, expect, it } from 'vitest';
import { chiSquarePValue, chiSquareTest, gammaQ, logGamma } from './chi-square';

describe('chi-square tail', () => {
  it('matches log Γ at known points', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(100.5)).toBeCloseTo(361.4355404677776, 8);
  });

  it('gives 0.05 at the tabulated 5% critical values', () => {
    expect(chiSquarePValue(3.841459, 1)).toBeCloseTo(0.05, 6);
    expect(chiSquarePValue(18.307038, 10)).toBeCloseTo(0.05, 6);
    expect(chiSquarePValue(124.342113, 100)).toBeCloseTo(0.05, 6);
  });

  it('gives 0.001 at the tabulated 0.1% critical values and exp(-x/2) for df = 2', () => {
    expect(chiSquarePValue(29.588298, 10)).toBeCloseTo(0.001, 7);
    expect(chiSquarePValue(7, 2)).toBeCloseTo(Math.exp(-3.5), 12);
    expect(gammaQ(3, 0)).toBe(1);
  });

  it('is zero for a perfect fit and skips impossible cells', () => {
    const result = chiSquareTest([25, 25, 50, 0], [0.25, 0.25, 0.5, 0]);
    expect(result.statistic).toBe(0);
    expect(result.df).toBe(2);
    expect(result.pValue).toBeCloseTo(1, 12);
    expect(chiSquareTest([1, 1], [1, 0]).statistic).toBe(Infinity);
  });
});
