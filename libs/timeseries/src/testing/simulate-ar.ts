import { createRng } from '@nextx/engine';

/** Simulates y_t = c + Σ φ_i y_{t−i} + ε_t after a burn-in. */
export function simulateAr(
  phi: readonly number[],
  n: number,
  seed: number,
  intercept = 0,
): number[] {
  const rng = createRng(seed);
  const values = new Array<number>(phi.length).fill(0);
  for (let t = phi.length; t < n + 200; t++) {
    let next = intercept + rng.normal();
    phi.forEach((w, i) => (next += w * values[t - 1 - i]));
    values.push(next);
  }
  return values.slice(200);
}
