import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { createRng } from '../random/rng';
import { EulerFlowSolver } from './euler-flow-solver';
import type { FlowSolver } from './flow-solver';
import { HeunFlowSolver } from './heun-flow-solver';
import { gaussianVelocity, moments, solveFlow } from './testing';

const MU = 1.5;
const SIGMA = 0.5;

/** Largest distance to the exact flow map x ↦ μ + σ·x on a few fixed starting points. */
function mapError(solver: FlowSolver, numSteps: number): number {
  const start = Float32Array.from([-2, -1, 0, 0.5, 1, 2]);
  solver.setTimesteps(numSteps);
  const out = solveFlow(solver, Float32Array.from(start), gaussianVelocity(MU, SIGMA));
  return Math.max(...Array.from(start, (x, i) => Math.abs(out[i] - (MU + SIGMA * x))));
}

describe('HeunFlowSolver', () => {
  it('lists each inner grid time twice: predictor then corrector', () => {
    const solver = new HeunFlowSolver();
    solver.setTimesteps(2);
    expect(Array.from(solver.timesteps)).toEqual([1, 0.5, 0.5, 0]);
  });

  it('is exact for a velocity linear in t (trapezoid rule)', () => {
    const solver = new HeunFlowSolver();
    solver.setTimesteps(3);
    // dx/dt = t integrates to x0 = x1 − 1/2 for every x.
    const out = solveFlow(solver, Float32Array.from([0, 2]), (x, t) =>
      new Float32Array(x.length).fill(t),
    );
    expect(out[0]).toBeCloseTo(-0.5, 6);
    expect(out[1]).toBeCloseTo(1.5, 6);
  });

  it('beats Euler with the same step count by more than 10× (5 steps)', () => {
    const heun = mapError(new HeunFlowSolver(), 5);
    const euler = mapError(new EulerFlowSolver(), 5);
    expect(heun * 10).toBeLessThan(euler);
  });

  it('beats Euler on the std of 20,000 transported samples with 5 steps', () => {
    const run = (solver: FlowSolver) => {
      const rng = createRng(1);
      solver.setTimesteps(5);
      const x = Float32Array.from({ length: 20_000 }, () => rng.normal());
      return moments(solveFlow(solver, x, gaussianVelocity(MU, SIGMA)));
    };
    const heun = run(new HeunFlowSolver());
    const euler = run(new EulerFlowSolver());
    expect(Math.abs(heun.std - SIGMA)).toBeLessThan(0.015);
    expect(Math.abs(euler.std - SIGMA)).toBeGreaterThan(0.1);
  });

  it('is second order: doubling the steps divides the error by more than 3.3', () => {
    expect(mapError(new HeunFlowSolver(), 20) / mapError(new HeunFlowSolver(), 40)).toBeGreaterThan(
      3.3,
    );
  });

  it('refuses a corrector that does not follow its predictor', () => {
    const solver = new HeunFlowSolver();
    solver.setTimesteps(3);
    const sample = new Float32Array(2);
    expect(() => solver.step(new Float32Array(2), 1, sample)).toThrow(InvalidArgumentError);
    solver.step(new Float32Array(2), 0, sample);
    expect(() => solver.step(new Float32Array(2), 3, sample)).toThrow(InvalidArgumentError);
  });
});
