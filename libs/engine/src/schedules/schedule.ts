import { InvalidArgumentError } from '../errors/invalid-argument';

/**
 * How the entries fed at a step attend to each other (everything earlier in the cache is always
 * visible):
 * - `causal`: each new entry sees only earlier ones (next-token);
 * - `bidirectional-in-block`: the new entries see each other (VAR scale, NBP block, xAR cell);
 * - `bidirectional`: no cache, the whole sequence is re-encoded and sees itself (MAR).
 */
export type AttentionMode = 'causal' | 'bidirectional-in-block' | 'bidirectional';

/** What one step of a {@link Schedule} produces and feeds. Pure bookkeeping: no model calls. */
export interface StepPlan {
  /** The step index, 0-based. */
  readonly index: number;
  /** Canvas positions (0-based over the generated tokens) the head writes at this step. */
  readonly positions: Int32Array;
  /**
   * Whether `positions` are final after this step. False for the intermediate solver steps of a
   * continuous cell; every canvas position is committed by exactly one step.
   */
  readonly commits: boolean;
  /** Attention among the entries fed at this step. */
  readonly attention: AttentionMode;
  /** Position, in the backbone's sequence (prefix included), of the first entry fed. */
  readonly inputStart: number;
  /** How many entries the backbone receives at this step. */
  readonly inputLength: number;
}

/**
 * "What X is at each step" of one method: the generator asks `stepAt(i)` for i in
 * [0, totalSteps) and runs backbone + head on it.
 */
export interface Schedule<P extends StepPlan = StepPlan> {
  /** Short identifier, e.g. `raster`. */
  readonly name: string;
  /** Number of steps (model calls of the main loop). */
  readonly totalSteps: number;
  /** Number of canvas positions the schedule fills. */
  readonly totalTokens: number;
  /**
   * The plan of step `i`; the same `i` always gives an equal plan.
   * @throws InvalidArgumentError when `i` is not an integer in [0, totalSteps)
   */
  stepAt(i: number): P;
}

/** All plans of a schedule in order. */
export function* stepsOf<P extends StepPlan>(schedule: Schedule<P>): Generator<P> {
  for (let i = 0; i < schedule.totalSteps; i++) yield schedule.stepAt(i);
}

/** Validates a step index against a schedule. */
export function checkStepIndex(schedule: Pick<Schedule, 'totalSteps'>, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= schedule.totalSteps) {
    throw new InvalidArgumentError('step', `[0, ${schedule.totalSteps})`, `got ${i}`);
  }
}

/** Validates a positive integer option. */
export function checkPositiveInteger(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(field, '>= 1 integer', `got ${value}`);
  }
}

/** The integers [start, end) as an Int32Array. */
export function range(start: number, end: number): Int32Array {
  const out = new Int32Array(Math.max(0, end - start));
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}
