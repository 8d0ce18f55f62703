import { describe, expect, it } from 'vitest';
import { EulerFlowSolver } from './euler-flow-solver';
import { gaussianVelocity, solveFlow } from './testing';

/** Largest distance to the exact flow map x ↦ μ + σ·x (monotone affine map from N(0,1) to N(μ,σ²)). */
function mapError(numSteps: number): number {
  const start = Float32Array.from([-2, -1, 0, 0.5, 1, 2]);
  const solver = new EulerFlowSolver();
  solver.setTimesteps(numSteps);
  const out = solveFlow(solver, Float32Array.from(start), gaussianVelocity(1.5, 0.5));
  return Math.max(...Array.from(start, (x, i) => Math.abs(out[i] - (1.5 + 0.5 * x))));
}

describe('EulerFlowSolver', () => {
  it('uses the grid linspace(1, 0, n + 1) and evaluates at its left ends', () => {
    const solver = new EulerFlowSolver();
    solver.setTimesteps(4);
    expect(Array.from(solver.grid)).toEqual([1, 0.75, 0.5, 0.25, 0]);
    expect(Array.from(solver.timesteps)).toEqual([1, 0.75, 0.5, 0.25]);
  });

  it('integrates a constant velocity exactly: x0 = x1 − v', () => {
    const solver = new EulerFlowSolver();
    solver.setTimesteps(7);
    const out = solveFlow(solver, Float32Array.from([0, 1, -2]), (x) =>
      new Float32Array(x.length).fill(0.25),
    );
    [-0.25, 0.75, -2.25].forEach((want, i) => expect(out[i]).toBeCloseTo(want, 5));
  });

  it('is first order: doubling the steps halves the error', () => {
    const ratio = mapError(20) / mapError(40);
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.2);
  });
});
