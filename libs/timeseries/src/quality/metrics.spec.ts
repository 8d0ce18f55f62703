import { describe, expect, it } from 'vitest';
import { crpsFromSamples, weightedQuantileLoss } from './metrics';

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
