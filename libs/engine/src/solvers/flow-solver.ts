import { InvalidArgumentError } from '../errors/invalid-argument';
import type { Rng } from '../random/rng';

/**
 * Options shared by every {@link FlowSolver}'s `setTimesteps`.
 */
export interface FlowTimestepOptions {
  /**
   * Explicit interval endpoints `1 ≥ grid[0] > … > grid[n] = 0` (n = the step count passed to
   * `setTimesteps`). Overrides the solver's own spacing, e.g. for a time-shifted grid.
   */
  readonly grid?: ArrayLike<number>;
}

/**
 * An ODE/SDE integrator for a velocity model on the linear flow-matching path
 * `x_t = (1 − t)·x + t·ε` (t = 1 pure noise, t = 0 data; xAR `models/sampler.py`).
 *
 * The generation loop is the same for every solver (diffusers' `set_timesteps` + `step`):
 *
 * ```ts
 * solver.setTimesteps(n);
 * for (let i = 0; i < solver.timesteps.length; i++) {
 *   solver.step(model(sample, solver.timesteps[i]), i, sample, rng);
 * }
 * ```
 *
 * `timesteps` holds one entry per model call, so second-order solvers list a time twice (see
 * {@link HeunFlowSolver}) and the loop never needs to know a solver's order.
 */
export interface FlowSolver {
  /** Short identifier, e.g. `euler`, for logs and request options. */
  readonly name: string;
  /** Velocity evaluations per grid interval: 1 for Euler and Euler–Maruyama, 2 for Heun. */
  readonly order: number;
  /** Whether `step` draws noise, i.e. needs an {@link Rng}. */
  readonly stochastic: boolean;
  /** Interval endpoints `grid[0] > … > grid[n] = 0` set by the last `setTimesteps`. */
  readonly grid: Float64Array;
  /** Time at which the velocity passed to `step(·, i, ·)` must be evaluated; one entry per call. */
  readonly timesteps: Float32Array;
  /**
   * Prepares `numSteps` grid intervals (`numSteps · order` model calls).
   * @throws InvalidArgumentError when `numSteps` is not a positive integer or the grid is invalid
   */
  setTimesteps(numSteps: number, options?: FlowTimestepOptions): void;
  /**
   * Advances `sample` in place using the velocity evaluated at `timesteps[index]` on the sample as
   * it was when handed to the model. Calls must follow the order of `timesteps`.
   * @throws InvalidArgumentError on a length mismatch, an out-of-order index or a missing rng
   */
  step(velocity: Float32Array, index: number, sample: Float32Array, rng?: Rng): void;
}

/** An asynchronous velocity model, e.g. an ONNX forward. */
export type AsyncVelocityFn = (sample: Float32Array, t: number) => Promise<Float32Array>;

/**
 * Runs the whole loop of `solver` on `sample` (noise at t = 1) in place and returns it, calling
 * an asynchronous model (an ONNX forward) once per entry of `timesteps`; stops between steps
 * when `signal` aborts. The solver must already have its timesteps set.
 */
export async function solveFlowAsync(
  solver: FlowSolver,
  sample: Float32Array,
  velocity: AsyncVelocityFn,
  rng?: Rng,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const { timesteps } = solver;
  for (let i = 0; i < timesteps.length; i++) {
    signal?.throwIfAborted();
    solver.step(await velocity(sample, timesteps[i]), i, sample, rng);
  }
  return sample;
}

/** `count` evenly spaced points from `start` to `end` inclusive, as `torch.linspace` in float64. */
export function linspace(start: number, end: number, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = count === 1 ? start : start + ((end - start) * i) / (count - 1);
  }
  return out;
}

/** Validates a step count; shared so every solver reports it the same way. */
export function checkStepCount(numSteps: number): void {
  if (!Number.isInteger(numSteps) || numSteps < 1) {
    throw new InvalidArgumentError('num_steps', '>= 1 integer', `got ${numSteps}`);
  }
}

/** Validates and copies a user grid of `numSteps + 1` strictly decreasing points in [0, 1] ending at 0. */
export function checkGrid(grid: ArrayLike<number>, numSteps: number): Float64Array {
  const out = Float64Array.from(grid);
  if (out.length !== numSteps + 1) {
    throw new InvalidArgumentError(
      'grid',
      `num_steps + 1 = ${numSteps + 1} points`,
      `got ${out.length}`,
    );
  }
  if (!(out[0] <= 1) || out[numSteps] !== 0) {
    throw new InvalidArgumentError(
      'grid',
      'grid[0] <= 1 and last point 0',
      `got ${out[0]} … ${out[numSteps]}`,
    );
  }
  for (let i = 1; i < out.length; i++) {
    if (!(out[i] < out[i - 1])) {
      throw new InvalidArgumentError(
        'grid',
        'strictly decreasing',
        `grid[${i}] = ${out[i]} >= grid[${i - 1}]`,
      );
    }
  }
  return out;
}

/** Shared argument checks of `step`. */
export function checkStep(
  solver: Pick<FlowSolver, 'timesteps'>,
  velocity: Float32Array,
  index: number,
  sample: Float32Array,
): void {
  if (solver.timesteps.length === 0) {
    throw new InvalidArgumentError('timesteps', 'setTimesteps() before step()', 'no timesteps set');
  }
  if (!Number.isInteger(index) || index < 0 || index >= solver.timesteps.length) {
    throw new InvalidArgumentError('index', `[0, ${solver.timesteps.length})`, `got ${index}`);
  }
  if (velocity.length !== sample.length) {
    throw new InvalidArgumentError('velocity', `length ${sample.length}`, `got ${velocity.length}`);
  }
}
