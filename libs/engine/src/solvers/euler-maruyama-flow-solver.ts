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

/** Options of {@link EulerMaruyamaFlowSolver}. */
export interface EulerMaruyamaOptions {
  /** Last time of the stochastic part; the grid is `linspace(1, tEnd, n)` then 0. xAR: 0.04. */
  readonly tEnd?: number;
}

/**
 * Euler–Maruyama on the reverse-time SDE of the linear path, as xAR `euler_maruyama_sampler`:
 *
 * - grid `linspace(1, 0.04, n)` followed by 0 (n intervals, n model calls);
 * - score from velocity (`get_score_from_velocity`, linear path): s = −(x + (1 − t)·v) / t;
 * - diffusion g²(t) = 2t (`compute_diffusion`), drift d = v − ½·g²·s;
 * - x ← x + d·Δt + √(2t)·√|Δt|·z for every interval but the last, which takes the mean only
 *   (x + d·Δt), so the result carries no fresh noise and the score is never needed at t = 0.
 *
 * The drift is affine in v with the same x-term for any velocity, so classifier-free guidance
 * applied to the velocity equals xAR's guidance on the drift; the caller passes the guided v.
 */
export class EulerMaruyamaFlowSolver implements FlowSolver {
  readonly name = 'euler-maruyama';
  readonly order = 1;
  readonly stochastic = true;
  grid: Float64Array = new Float64Array(0);
  timesteps: Float32Array = new Float32Array(0);
  private readonly tEnd: number;

  constructor(options: EulerMaruyamaOptions = {}) {
    this.tEnd = options.tEnd ?? 0.04;
    if (!(this.tEnd > 0 && this.tEnd < 1)) {
      throw new InvalidArgumentError('t_end', '(0, 1)', `got ${this.tEnd}`);
    }
  }

  setTimesteps(numSteps: number, options: FlowTimestepOptions = {}): void {
    checkStepCount(numSteps);
    if (options.grid) {
      this.grid = checkGrid(options.grid, numSteps);
    } else {
      const grid = new Float64Array(numSteps + 1);
      grid.set(linspace(1, this.tEnd, numSteps));
      this.grid = grid;
    }
    this.timesteps = Float32Array.from(this.grid.subarray(0, numSteps));
  }

  step(velocity: Float32Array, index: number, sample: Float32Array, rng?: Rng): void {
    checkStep(this, velocity, index, sample);
    const t = this.grid[index];
    const dt = this.grid[index + 1] - t;
    const last = index === this.timesteps.length - 1;
    if (!last && !rng) {
      throw new InvalidArgumentError('rng', 'required by a stochastic solver', 'missing');
    }
    const diffusion = 2 * t;
    const noiseScale = Math.sqrt(diffusion) * Math.sqrt(Math.abs(dt));
    for (let j = 0; j < sample.length; j++) {
      const x = sample[j];
      const v = velocity[j];
      const score = -(x + (1 - t) * v) / t;
      const drift = v - 0.5 * diffusion * score;
      sample[j] = last ? x + drift * dt : x + drift * dt + noiseScale * (rng as Rng).normal();
    }
  }
}
