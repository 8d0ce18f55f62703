import { createRng } from '@nextx/engine';
import { describe, expect, it } from 'vitest';
import { LinearArModel } from '../models/linear-ar';
import { bootstrapPaths, quantileOfSorted, rollout, summarisePaths } from './simulate';

describe('quantileOfSorted', () => {
  it('interpolates linearly like numpy.quantile', () => {
    const sorted = [1, 2, 3, 4];
    expect(quantileOfSorted(sorted, 0)).toBe(1);
    expect(quantileOfSorted(sorted, 1)).toBe(4);
    expect(quantileOfSorted(sorted, 0.5)).toBe(2.5);
    expect(quantileOfSorted(sorted, 0.1)).toBeCloseTo(1.3);
  });
});

describe('rollout', () => {
  it('feeds predictions back as lags', () => {
    const model = new LinearArModel(Float64Array.from([0.5]), 1);
    expect(Array.from(rollout(model, [4], 3))).toEqual([3, 2.5, 2.25]);
  });
});

describe('bootstrapPaths', () => {
  it('gives one-step quantiles that match the residual distribution', () => {
    const rng = createRng(3);
    const residuals = Float64Array.from({ length: 20_000 }, () => rng.normal() * 2);
    const model = new LinearArModel(Float64Array.from([0.9]), 0);
    const paths = bootstrapPaths(model, [10], 1, 20_000, residuals, createRng(4));
    const { quantiles, mean } = summarisePaths(paths, [0.1, 0.5, 0.9]);
    // Point 9 plus N(0, 2²): the 10 % and 90 % quantiles lie 1.2816·2 either side.
    expect(quantiles[0][0]).toBeCloseTo(9 - 2.563, 1);
    expect(quantiles[1][0]).toBeCloseTo(9, 1);
    expect(quantiles[2][0]).toBeCloseTo(9 + 2.563, 1);
    expect(mean[0]).toBeCloseTo(9, 1);
  });
});
