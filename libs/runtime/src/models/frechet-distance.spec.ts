import { describe, expect, it } from 'vitest';
import { frechetDistance } from './frechet-distance';

/** Rows of independent N(mean_d, std_d²) values (Box–Muller on a fixed LCG). */
function gaussianRows(items: number, means: number[], stds: number[], seed: number): Float32Array {
  let state = seed;
  const uniform = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
  const out = new Float32Array(items * means.length);
  for (let i = 0; i < out.length; i++) {
    const d = i % means.length;
    const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    out[i] = means[d] + stds[d] * z;
  }
  return out;
}

describe('frechetDistance', () => {
  it('is 0 for a set against itself', () => {
    const rows = gaussianRows(500, [0, 1, 2], [1, 2, 0.5], 1);
    expect(frechetDistance({ features: rows, items: 500 }, { features: rows, items: 500 }, 3)).toBeCloseTo(0, 6);
  });

  it('matches the closed form for independent Gaussians: Σ (Δμ² + (σ₁ − σ₂)²)', () => {
    const items = 20_000;
    const a = gaussianRows(items, [0, 0], [1, 2], 3);
    const b = gaussianRows(items, [1, -2], [3, 2], 7);
    const expected = 1 + 4 + (1 - 3) ** 2 + 0;
    const got = frechetDistance({ features: a, items }, { features: b, items }, 2);
    expect(Math.abs(got - expected)).toBeLessThan(0.2);
  });
});
