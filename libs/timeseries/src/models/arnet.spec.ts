import { describe, expect, it } from 'vitest';
import { fitArNet, oneCycleLr, sparsityPenalty } from './arnet';
import { fitLeastSquaresAr } from './least-squares-ar';
import { simulateAr } from '../testing/simulate-ar';

describe('fitArNet', () => {
  it("learns the same coefficients as least-squares AR (the paper's first claim)", () => {
    const values = simulateAr([0.5, -0.2, 0.25], 3000, 2, 1);
    const arnet = fitArNet(values, { order: 3, seed: 1 }).model.linearCoefficients();
    const ls = fitLeastSquaresAr(values, 3).model;
    expect(arnet).toBeDefined();
    for (let i = 0; i < 3; i++)
      expect(Math.abs(arnet!.coefficients[i] - ls.coefficients[i])).toBeLessThan(0.03);
    expect(Math.abs(arnet!.intercept - ls.intercept)).toBeLessThan(0.1);
  });

  it('with p = 100 on an AR(3) process, the sparsity regulariser zeroes the 97 irrelevant lags', () => {
    const truth = [0.2, 0.3, -0.4];
    const values = simulateAr(truth, 5000, 3);
    const dense = fitArNet(values, { order: 100, seed: 1 }).model.linearCoefficients()!
      .coefficients;
    const sparse = fitArNet(values, {
      order: 100,
      seed: 1,
      sparsity: 0.03,
    }).model.linearCoefficients()!.coefficients;
    truth.forEach((w, i) => expect(Math.abs(sparse[i] - w)).toBeLessThan(0.05));
    const meanAbs = (c: Float64Array) => c.slice(3).reduce((a, w) => a + Math.abs(w), 0) / 97;
    const maxAbs = (c: Float64Array) => Math.max(...Array.from(c.slice(3), Math.abs));
    expect(maxAbs(sparse)).toBeLessThan(0.03);
    expect(meanAbs(sparse)).toBeLessThan(0.005);
    // The regulariser is what does it: without it the irrelevant weights stay visibly non-zero.
    expect(meanAbs(dense)).toBeGreaterThan(5 * meanAbs(sparse));
  });

  it('is deterministic for a seed and depends on it', () => {
    const values = simulateAr([0.7], 500, 9);
    const a = fitArNet(values, { order: 4, seed: 1, epochs: 5 }).model.linearCoefficients()!
      .coefficients;
    const b = fitArNet(values, { order: 4, seed: 1, epochs: 5 }).model.linearCoefficients()!
      .coefficients;
    const c = fitArNet(values, { order: 4, seed: 2, epochs: 5 }).model.linearCoefficients()!
      .coefficients;
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it('fits a non-linear process better with a hidden layer than without', () => {
    // Threshold AR: the sign of the last value switches the dynamics, which no linear AR captures.
    const values = [0.1];
    const rng = simulateAr([0], 3000, 4);
    for (let t = 1; t < 3000; t++) {
      const prev = values[t - 1];
      values.push((prev > 0 ? -0.8 * prev : 0.8 * prev + 1) + 0.3 * rng[t]);
    }
    const linear = fitArNet(values, { order: 2, seed: 1 });
    const hidden = fitArNet(values, { order: 2, seed: 1, hiddenLayers: [16] });
    expect(hidden.model.linearCoefficients()).toBeUndefined();
    expect(hidden.finalLoss).toBeLessThan(0.8 * linear.finalLoss);
  });
});

describe('sparsityPenalty', () => {
  it('is 0 for zero weights and approaches 1 for large weights', () => {
    expect(sparsityPenalty([0, 0])).toBe(0);
    expect(sparsityPenalty([100, -100])).toBeGreaterThan(0.99);
  });
});

describe('oneCycleLr', () => {
  it('warms up to the peak at 25 % and anneals to peak / 1e5', () => {
    expect(oneCycleLr(0, 1)).toBeCloseTo(1 / 25);
    expect(oneCycleLr(0.25, 1)).toBeCloseTo(1);
    expect(oneCycleLr(1, 1)).toBeCloseTo(1e-5);
  });
});
