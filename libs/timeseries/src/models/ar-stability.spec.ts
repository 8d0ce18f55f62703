import { describe, expect, it } from 'vitest';
import { isStableAr, stabiliseAr } from './ar-stability';

describe('AR stability', () => {
  it('tells stationary from explosive recursions', () => {
    expect(isStableAr([0.5])).toBe(true);
    expect(isStableAr([1.01])).toBe(false);
    expect(isStableAr([0.6, -0.3])).toBe(true);
    // Roots 1.1 and 0.5: explosive.
    expect(isStableAr([1.6, -0.55])).toBe(false);
    // A sinusoid's pair of roots just outside the unit circle.
    const r = 1.001;
    const w = (2 * Math.PI) / 12;
    expect(isStableAr([2 * r * Math.cos(w), -r * r])).toBe(false);
  });

  it('scales explosive roots to just inside the unit circle and keeps stable ones', () => {
    const stable = Float64Array.from([0.6, -0.3]);
    expect(stabiliseAr(stable)).toEqual({ coefficients: stable, scale: 1 });
    const r = 1.001;
    const w = (2 * Math.PI) / 12;
    const { coefficients, scale } = stabiliseAr(Float64Array.from([2 * r * Math.cos(w), -r * r]));
    expect(isStableAr(coefficients)).toBe(true);
    expect(scale).toBeCloseTo(1 / r, 8);
    // The period is kept: φ1 = 2ρ cos ω with ρ now ≈ 1.
    expect(coefficients[0] / 2 / Math.sqrt(-coefficients[1])).toBeCloseTo(Math.cos(w), 8);
  });
});
