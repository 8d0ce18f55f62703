import type { FlowSolver } from './flow-solver';
import type { Rng } from '../random/rng';

/** A velocity model: `v(x_t, t)` for the whole sample (synchronous form, e.g. a test field). */
export type VelocityFn = (sample: Float32Array, t: number) => Float32Array;

/**
 * Runs the whole loop of `solver` on `sample` (noise at t = 1) in place and returns it.
 * The solver must already have its timesteps set.
 */
export function solveFlow(
  solver: FlowSolver,
  sample: Float32Array,
  velocity: VelocityFn,
  rng?: Rng,
): Float32Array {
  const { timesteps } = solver;
  for (let i = 0; i < timesteps.length; i++) {
    solver.step(velocity(sample, timesteps[i]), i, sample, rng);
  }
  return sample;
}

/**
 * The exact marginal velocity of the linear path `x_t = (1 − t)·x + t·ε` when the data is
 * N(μ, σ²) and ε ~ N(0, 1) (a test double with a known answer).
 *
 * With a = 1 − t: x_t ~ N(aμ, V), V = a²σ² + t²; Cov(x, x_t) = aσ², Cov(ε, x_t) = t, so by
 * Gaussian conditioning E[x | x_t] = μ + aσ²/V·(x_t − aμ), E[ε | x_t] = t/V·(x_t − aμ) and
 * v = E[ε − x | x_t] = (t − aσ²)/V·(x_t − aμ) − μ.
 */
export function gaussianVelocity(mu: number, sigma: number): VelocityFn {
  return (sample, t) => {
    const a = 1 - t;
    const variance = a * a * sigma * sigma + t * t;
    const gain = (t - a * sigma * sigma) / variance;
    const out = new Float32Array(sample.length);
    for (let j = 0; j < sample.length; j++) {
      out[j] = gain * (sample[j] - a * mu) - mu;
    }
    return out;
  };
}

/** Mean and (population) standard deviation of a sample. */
export function moments(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length) };
}
