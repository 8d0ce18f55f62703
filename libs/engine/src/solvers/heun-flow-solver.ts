import { InvalidArgumentError } from '../errors/invalid-argument';
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
 * Heun's method (explicit trapezoid, second order) on the probability-flow ODE.
 *
 * Each grid interval [t_k, t_{k+1}] needs two velocities, so — like diffusers'
 * `HeunDiscreteScheduler` — the solver is a two-phase state machine and `timesteps` lists
 * `t_0, t_1, t_1, t_2, t_2, …, t_{n−1}, t_n` (2n model calls):
 *
 * - even index 2k (predictor): remembers x_k and v(x_k, t_k), then moves `sample` to the Euler
 *   guess x̃ = x_k + Δt·v(x_k, t_k);
 * - odd index 2k + 1 (corrector): receives v(x̃, t_{k+1}) — evaluated by the loop on the guess
 *   that `sample` now holds — and sets `sample` = x_k + Δt·(v_k + ṽ)/2.
 *
 * The generic loop over `timesteps` therefore drives it unchanged. The last corrector evaluates
 * the velocity at t = 0, which is well defined for flow matching (unlike a score at σ = 0), so
 * every interval is second order.
 */
export class HeunFlowSolver implements FlowSolver {
  readonly name = 'heun';
  readonly order = 2;
  readonly stochastic = false;
  grid: Float64Array = new Float64Array(0);
  timesteps: Float32Array = new Float32Array(0);
  private previousSample: Float32Array = new Float32Array(0);
  private previousVelocity: Float32Array = new Float32Array(0);
  /** Index of the predictor whose corrector is due next; -1 when none is pending. */
  private pending = -1;

  setTimesteps(numSteps: number, options: FlowTimestepOptions = {}): void {
    checkStepCount(numSteps);
    this.grid = options.grid ? checkGrid(options.grid, numSteps) : linspace(1, 0, numSteps + 1);
    const timesteps = new Float32Array(2 * numSteps);
    for (let k = 0; k < numSteps; k++) {
      timesteps[2 * k] = this.grid[k];
      timesteps[2 * k + 1] = this.grid[k + 1];
    }
    this.timesteps = timesteps;
    this.pending = -1;
  }

  step(velocity: Float32Array, index: number, sample: Float32Array, _rng?: Rng): void {
    checkStep(this, velocity, index, sample);
    const interval = index >> 1;
    const dt = this.grid[interval + 1] - this.grid[interval];
    if (index % 2 === 0) {
      if (this.previousSample.length !== sample.length) {
        this.previousSample = new Float32Array(sample.length);
        this.previousVelocity = new Float32Array(sample.length);
      }
      this.previousSample.set(sample);
      this.previousVelocity.set(velocity);
      for (let j = 0; j < sample.length; j++) {
        sample[j] += dt * velocity[j];
      }
      this.pending = index;
      return;
    }
    // A corrector without its predictor would average against a stale x_k from another sample.
    if (this.pending !== index - 1 || this.previousSample.length !== sample.length) {
      throw new InvalidArgumentError(
        'index',
        `corrector ${index} right after predictor ${index - 1}`,
        `got ${index}`,
      );
    }
    const half = 0.5 * dt;
    for (let j = 0; j < sample.length; j++) {
      sample[j] = this.previousSample[j] + half * (this.previousVelocity[j] + velocity[j]);
    }
    this.pending = -1;
  }
}
