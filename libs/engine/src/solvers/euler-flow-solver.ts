import type { Rng } from '../random/rng';
import {
  checkGrid,
  checkStep,
  checkStepCount,
  linspace,
  type FlowSolver,
  type FlowTimestepOptions,
} from './flow-solver';

/**
 * Explicit Euler on the probability-flow ODE `dx/dt = v(x, t)`, grid `linspace(1, 0, n + 1)`
 * (xAR `euler_sampler`). First order: the error shrinks like 1/n.
 */
export class EulerFlowSolver implements FlowSolver {
  readonly name = 'euler';
  readonly order = 1;
  readonly stochastic = false;
  grid: Float64Array = new Float64Array(0);
  timesteps: Float32Array = new Float32Array(0);

  setTimesteps(numSteps: number, options: FlowTimestepOptions = {}): void {
    checkStepCount(numSteps);
    this.grid = options.grid ? checkGrid(options.grid, numSteps) : linspace(1, 0, numSteps + 1);
    this.timesteps = Float32Array.from(this.grid.subarray(0, numSteps));
  }

  step(velocity: Float32Array, index: number, sample: Float32Array, _rng?: Rng): void {
    checkStep(this, velocity, index, sample);
    const dt = this.grid[index + 1] - this.grid[index];
    for (let j = 0; j < sample.length; j++) {
      sample[j] += dt * velocity[j];
    }
  }
}
