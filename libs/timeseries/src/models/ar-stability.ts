/**
 * Stability of a linear AR recursion y_t = c + Σ φ_i y_{t−i}: every root of
 * z^p − φ_1 z^{p−1} − … − φ_p lies strictly inside the unit circle. Checked by the Schur–Cohn
 * step-down (inverse Levinson–Durbin) recursion, O(p²): stable iff every reflection coefficient
 * has |k| < 1.
 */
export function isStableAr(coefficients: ArrayLike<number>): boolean {
  let a = Float64Array.from(coefficients);
  for (let m = a.length; m >= 1; m--) {
    const k = a[m - 1];
    if (!(Math.abs(k) < 1)) return false;
    const next = new Float64Array(m - 1);
    const denominator = 1 - k * k;
    for (let i = 0; i < m - 1; i++) next[i] = (a[i] + k * a[m - 2 - i]) / denominator;
    a = next;
  }
  return true;
}

/** Bisection steps for the largest stable root scale (2^-40 relative precision). */
const BISECTION_STEPS = 40;

/**
 * Coefficients whose roots are those of `coefficients` scaled by one factor s ≤ 1 (φ_i → s^i·φ_i),
 * s the largest that keeps the recursion stable: an explosive fit (spectral radius ρ > 1, which
 * rolls out to ±Infinity and NaN over a long horizon) becomes one with radius just under 1,
 * keeping the roots' angles (a fitted sinusoid keeps its period). A stable fit is returned
 * unchanged with `scale` 1.
 */
export function stabiliseAr(coefficients: Float64Array): {
  coefficients: Float64Array;
  scale: number;
} {
  if (isStableAr(coefficients)) return { coefficients, scale: 1 };
  const scaled = (s: number) => coefficients.map((phi, i) => phi * s ** (i + 1));
  let low = 0;
  let high = 1;
  for (let step = 0; step < BISECTION_STEPS; step++) {
    const mid = (low + high) / 2;
    if (isStableAr(scaled(mid))) low = mid;
    else high = mid;
  }
  return { coefficients: scaled(low), scale: low };
}
