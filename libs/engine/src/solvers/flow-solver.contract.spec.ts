import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { createRng } from '../random/rng';
import { EulerFlowSolver } from './euler-flow-solver';
import { EulerMaruyamaFlowSolver } from './euler-maruyama-flow-solver';
import type { FlowSolver } from './flow-solver';
import { HeunFlowSolver } from './heun-flow-solver';
import { gaussianVelocity, moments, solveFlow } from './testing';

/**
 * Every solver, a step count at which it should transport a Gaussian accurately, and the std bias
 * its discretisation is known to keep at that count (xAR's deterministic last step from t = 0.04
 * shrinks the std by about 1 %, see the Euler–Maruyama spec).
 */
const SOLVERS: ReadonlyArray<[string, () => FlowSolver, number, number]> = [
  ['EulerFlowSolver', () => new EulerFlowSolver(), 200, 0],
  ['HeunFlowSolver', () => new HeunFlowSolver(), 10, 0],
  ['EulerMaruyamaFlowSolver', () => new EulerMaruyamaFlowSolver(), 250, 0.006],
];

const MU = 1.5;
const SIGMA = 0.5;
const N = 20_000;

function noise(seed: number, n = N): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

describe.each(SOLVERS)('FlowSolver contract: %s', (_name, make, steps, stdBias) => {
  it('lists one time per model call, starting at 1 and never increasing, inside [0, 1]', () => {
    const solver = make();
    solver.setTimesteps(8);
    expect(solver.timesteps.length).toBe(8 * solver.order);
    expect(solver.timesteps[0]).toBe(1);
    expect(solver.grid.length).toBe(9);
    expect(solver.grid[8]).toBe(0);
    for (let i = 1; i < solver.timesteps.length; i++) {
      expect(solver.timesteps[i]).toBeLessThanOrEqual(solver.timesteps[i - 1]);
    }
    for (const t of solver.timesteps) {
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThanOrEqual(1);
    }
  });

  it('rejects a bad step count, grid, index, velocity length, and step() before setTimesteps()', () => {
    const solver = make();
    expect(() => solver.step(new Float32Array(2), 0, new Float32Array(2), createRng(0))).toThrow(
      InvalidArgumentError,
    );
    expect(() => solver.setTimesteps(0)).toThrow(InvalidArgumentError);
    expect(() => solver.setTimesteps(2.5)).toThrow(InvalidArgumentError);
    expect(() => solver.setTimesteps(2, { grid: [1, 0.5] })).toThrow(InvalidArgumentError);
    expect(() => solver.setTimesteps(2, { grid: [1, 0.5, 0.1] })).toThrow(InvalidArgumentError);
    expect(() => solver.setTimesteps(3, { grid: [1, 0.5, 0.6, 0] })).toThrow(InvalidArgumentError);
    solver.setTimesteps(4);
    const sample = new Float32Array(3);
    expect(() => solver.step(new Float32Array(2), 0, sample, createRng(0))).toThrow(
      InvalidArgumentError,
    );
    expect(() => solver.step(new Float32Array(3), -1, sample, createRng(0))).toThrow(
      InvalidArgumentError,
    );
    expect(() =>
      solver.step(new Float32Array(3), solver.timesteps.length, sample, createRng(0)),
    ).toThrow(InvalidArgumentError);
  });

  it('accepts an explicit grid and evaluates at its points', () => {
    const solver = make();
    solver.setTimesteps(3, { grid: [1, 0.7, 0.2, 0] });
    expect(Array.from(solver.grid)).toEqual([1, 0.7, 0.2, 0]);
    expect(solver.timesteps[0]).toBe(1);
    expect(solver.timesteps).toContain(Math.fround(0.7));
    expect(solver.timesteps).toContain(Math.fround(0.2));
  });

  it('is reproducible: same start noise and seed give the same result', () => {
    const run = () => {
      const solver = make();
      solver.setTimesteps(6);
      return solveFlow(solver, noise(3, 64), gaussianVelocity(MU, SIGMA), createRng(11));
    };
    expect(run()).toEqual(run());
  });

  it(`transports N(0, 1) at t = 1 to N(${MU}, ${SIGMA}²) at t = 0 with the exact velocity`, () => {
    const solver = make();
    solver.setTimesteps(steps);
    const sample = solveFlow(solver, noise(1), gaussianVelocity(MU, SIGMA), createRng(2));
    const { mean, std } = moments(sample);
    // Standard errors of the sample mean and std for N draws.
    const seMean = SIGMA / Math.sqrt(N);
    const seStd = SIGMA / Math.sqrt(2 * N);
    expect(Math.abs(mean - MU)).toBeLessThan(4 * seMean);
    expect(Math.abs(std - SIGMA)).toBeLessThan(4 * seStd + stdBias);
  });
});
