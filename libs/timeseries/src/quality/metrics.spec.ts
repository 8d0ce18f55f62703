import { describe, expect, it } from 'vitest';
import { createRng } from '@nextx/engine';
import { standardNormalCdf, standardNormalQuantile } from './gaussian';
import { crpsFromSamples, crpsGaussian, weightedQuantileLoss } from './metrics';

describe('probabilistic scores', () => {
  it('WQL: zero for a forecast equal to the actuals, pinball-weighted otherwise', () => {
    const y = [10, 20, 30];
    expect(weightedQuantileLoss(y, [0.1, 0.5, 0.9], [y, y, y])).toBe(0);
    // Level 0.9 under-forecasting by 1 everywhere: 2 · 0.9 · 3 / 60.
    expect(weightedQuantileLoss(y, [0.9], [[9, 19, 29]])).toBeCloseTo((2 * 0.9 * 3) / 60, 12);
    // Over-forecasting costs (1 − q) instead.
    expect(weightedQuantileLoss(y, [0.9], [[11, 21, 31]])).toBeCloseTo((2 * 0.1 * 3) / 60, 12);
  });

  it('CRPS of samples: |x − y| for one path, lower for a sharp right ensemble than a wide one', () => {
    expect(crpsFromSamples([5], [[7]]).crps).toBe(2);
    const y = [0, 0, 0, 0];
    const sharp = [-0.1, 0, 0.1].map((v) => y.map(() => v));
    const wide = [-3, 0, 3].map((v) => y.map(() => v));
    expect(crpsFromSamples(y, sharp).crps).toBeLessThan(crpsFromSamples(y, wide).crps);
    // Two paths {0, 2} at y = 1: E|X − y| = 1, ½E|X − X'| = ½ · (0 + 2 + 2 + 0) / 4 = 0.5.
    expect(crpsFromSamples([1], [[0], [2]]).crps).toBeCloseTo(0.5, 12);
    // Scaled by Σ|y| = 4: (E|X − 4| = 3, minus 0.5) / 4.
    expect(crpsFromSamples([4], [[0], [2]]).scaled).toBeCloseTo(2.5 / 4, 12);
  });
});

describe('Gaussian helpers', () => {
  it('Φ and its inverse match tabulated values and invert each other', () => {
    expect(standardNormalCdf(0)).toBeCloseTo(0.5, 7);
    expect(standardNormalCdf(1)).toBeCloseTo(0.841344746, 7);
    expect(standardNormalCdf(-1.959963985)).toBeCloseTo(0.025, 7);
    expect(standardNormalQuantile(0.9)).toBeCloseTo(1.2815515655, 8);
    expect(standardNormalQuantile(0.001)).toBeCloseTo(-3.0902323062, 8);
    for (const p of [1e-5, 0.1, 0.3, 0.5, 0.8, 0.99])
      expect(standardNormalCdf(standardNormalQuantile(p))).toBeCloseTo(p, 7);
  });

  it('CRPS of a Gaussian: (√2 − 1)/√π · σ at the mean, |y − μ| for σ = 0, the sample CRPS of many draws', () => {
    expect(crpsGaussian([3], [3], [2]).crps).toBeCloseTo(
      (2 * (Math.SQRT2 - 1)) / Math.sqrt(Math.PI),
      6,
    );
    expect(crpsGaussian([5], [3], [0])).toEqual({ crps: 2, scaled: 2 / 5 });
    const rng = createRng(5);
    const draws = Array.from({ length: 2000 }, () => [
      10 + 2 * rng.normal(),
      -1 + 0.5 * rng.normal(),
    ]);
    const actual = [11, -2];
    const closed = crpsGaussian(actual, [10, -1], [2, 0.5]);
    const sampled = crpsFromSamples(actual, draws);
    expect(closed.crps).toBeCloseTo(sampled.crps, 1);
    expect(closed.scaled).toBeCloseTo((closed.crps * 2) / 13, 12);
  });
});
