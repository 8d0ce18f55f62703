import { describe, expect, it } from 'vitest';
import { fitLeastSquaresAr, selectOrderByAic } from './least-squares-ar';
import { simulateAr } from '../testing/simulate-ar';

describe('fitLeastSquaresAr', () => {
  it('recovers the coefficients and intercept of an AR(2) process', () => {
    const values = simulateAr([0.6, -0.3], 4000, 11, 2);
    const { model } = fitLeastSquaresAr(values, 2);
    expect(model.coefficients[0]).toBeCloseTo(0.6, 1);
    expect(model.coefficients[1]).toBeCloseTo(-0.3, 1);
    // Process mean is c / (1 − Σφ) = 2 / 0.7; the intercept itself is c = 2.
    expect(model.intercept).toBeCloseTo(2, 0);
  });

  it('refuses a series too short for the order', () => {
    expect(() => fitLeastSquaresAr([1, 2, 3, 4, 5], 3)).toThrow(RangeError);
  });
});

describe('selectOrderByAic', () => {
  it('keeps the true lags of an AR(3) process and stays near its order', () => {
    const values = simulateAr([0.5, 0.2, -0.4], 3000, 5);
    // AIC is efficient, not consistent: it may add a lag or two, but never drops a true one.
    const order = selectOrderByAic(values, 12);
    expect(order).toBeGreaterThanOrEqual(3);
    expect(order).toBeLessThanOrEqual(6);
  });
});
