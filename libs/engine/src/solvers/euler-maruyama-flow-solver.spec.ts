import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { createRng } from '../random/rng';
import { EulerMaruyamaFlowSolver } from './euler-maruyama-flow-solver';
import { gaussianVelocity, moments, solveFlow } from './testing';

const MU = 1.5;
const SIGMA = 0.5;
const N = 20_000;

/**
 * Exact mean and std after xAR's discretised chain for N(μ, σ²) data: the exact velocity is affine,
 * v = g·x + c, so every step is x ← A·x + B + noise and the moments propagate in closed form.
 */
function chainMoments(grid: Float64Array): { mean: number; std: number } {
  let mean = 0;
  let variance = 1;
  for (let i = 0; i < grid.length - 1; i++) {
    const t = grid[i];
    const dt = grid[i + 1] - t;
    const a = 1 - t;
    const g = (t - a * SIGMA * SIGMA) / (a * a * SIGMA * SIGMA + t * t);
    const c = -g * a * MU - MU;
    // drift = v − t·score = (2 − t)·v + x for the linear path.
    const scale = 1 + dt * ((2 - t) * g + 1);
    mean = scale * mean + dt * (2 - t) * c;
    variance = scale * scale * variance + (i < grid.length - 2 ? 2 * t * Math.abs(dt) : 0);
  }
  return { mean, std: Math.sqrt(variance) };
}

describe('EulerMaruyamaFlowSolver', () => {
  it('uses linspace(1, 0.04, n) then 0 (xAR)', () => {
    const solver = new EulerMaruyamaFlowSolver();
    solver.setTimesteps(4);
    expect(solver.grid[0]).toBe(1);
    expect(solver.grid[4]).toBe(0);
    expect(solver.grid[1]).toBeCloseTo(0.68, 12);
    expect(solver.grid[3]).toBeCloseTo(0.04, 12);
    expect(solver.timesteps.length).toBe(4);
    expect(solver.timesteps[3]).toBeCloseTo(0.04, 6);
  });

  it('matches the closed-form moments of its own discretised chain within 4 standard errors', () => {
    const solver = new EulerMaruyamaFlowSolver();
    solver.setTimesteps(50);
    const rng = createRng(5);
    const x = Float32Array.from({ length: N }, () => rng.normal());
    const got = moments(solveFlow(solver, x, gaussianVelocity(MU, SIGMA), createRng(6)));
    const want = chainMoments(solver.grid);
    expect(Math.abs(got.mean - want.mean)).toBeLessThan((4 * want.std) / Math.sqrt(N));
    expect(Math.abs(got.std - want.std)).toBeLessThan((4 * want.std) / Math.sqrt(2 * N));
  });

  it('keeps the marginals: its chain ends within 2 % of N(μ, σ²) at 50–1000 steps', () => {
    for (const steps of [50, 250, 1000]) {
      const solver = new EulerMaruyamaFlowSolver();
      solver.setTimesteps(steps);
      const { mean, std } = chainMoments(solver.grid);
      expect(mean).toBeCloseTo(MU, 9);
      expect(Math.abs(std / SIGMA - 1)).toBeLessThan(0.02);
    }
  });

  it('draws noise: another seed gives another sample, the same seed the same one', () => {
    const solver = new EulerMaruyamaFlowSolver();
    solver.setTimesteps(10);
    const run = (seed: number) =>
      solveFlow(solver, new Float32Array(8), gaussianVelocity(MU, SIGMA), createRng(seed));
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it('takes the last step without noise and needs no rng for it', () => {
    const solver = new EulerMaruyamaFlowSolver();
    solver.setTimesteps(2);
    const sample = Float32Array.from([0.3]);
    expect(() => solver.step(Float32Array.from([0]), 0, sample)).toThrow(InvalidArgumentError);
    solver.step(Float32Array.from([0.5]), 1, sample);
    // t = 0.04, dt = −0.04: drift = (2 − t)·v + x = 1.96·0.5 + 0.3.
    expect(sample[0]).toBeCloseTo(0.3 - 0.04 * (1.96 * 0.5 + 0.3), 6);
  });

  it('rejects tEnd outside (0, 1)', () => {
    expect(() => new EulerMaruyamaFlowSolver({ tEnd: 0 })).toThrow(InvalidArgumentError);
    expect(() => new EulerMaruyamaFlowSolver({ tEnd: 1 })).toThrow(InvalidArgumentError);
  });
});
