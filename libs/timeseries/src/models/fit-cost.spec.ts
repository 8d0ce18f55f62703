import { describe, expect, it } from 'vitest';
import { fitCost } from './fit-cost';

const spec = { method: 'arnet' as const, order: 12, seed: 1, seasonLength: 0 };

describe('fitCost', () => {
  it('grows with series length, hidden units and epochs before anything is fitted', () => {
    const base = fitCost(1000, { ...spec, arnet: { hiddenLayers: [16], epochs: 100 } });
    expect(base).toBe((1000 - 12) * (13 * 16 + 17 * 1) * 100);
    expect(fitCost(2000, { ...spec, arnet: { hiddenLayers: [16], epochs: 100 } })).toBeGreaterThan(base);
    expect(fitCost(1000, { ...spec, arnet: { hiddenLayers: [64], epochs: 100 } })).toBeGreaterThan(base);
    expect(fitCost(1000, { ...spec, arnet: { hiddenLayers: [16], epochs: 200 } })).toBe(
      (1000 - 12) * (13 * 16 + 17) * 200,
    );
  });

  it('counts the automatic epoch rule at its maximum, and least squares by lags squared', () => {
    expect(fitCost(1000, { ...spec, arnet: {} })).toBe((1000 - 12) * 13 * 1000);
    expect(fitCost(1000, { ...spec, method: 'ar' })).toBe((1000 - 12) * 12 * 12);
  });
});
