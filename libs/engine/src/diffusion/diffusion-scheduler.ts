import { InvalidArgumentError } from '../errors/invalid-argument';
import type { Rng } from '../random/rng';
import { alphasCumprod, betaSchedule, type BetaScheduleName } from './beta-schedules';
import { respace, spaceTimesteps, type RespacedTables } from './respacing';

/** Construction options shared by the ε-prediction schedulers. */
export interface DiffusionSchedulerOptions {
  /** Training noise schedule. MAR: `cosine`. Default `cosine`. */
  readonly betaSchedule?: BetaScheduleName;
  /** Training step count T. MAR/DiT: 1000. */
  readonly numTrainTimesteps?: number;
}

/** Per-call options of `step`. */
export interface DiffusionStepOptions {
  /**
   * Multiplies the fresh noise of the step (MAR's `temperature`; the start noise is not scaled).
   * Default 1.
   */
  readonly temperature?: number;
  /**
   * Learned-range variance output of the model in [−1, 1], one per element (ADM/MAR
   * `LEARNED_RANGE`: log σ² = f·log β_k + (1 − f)·log σ̃²_k, f = (v + 1)/2). Only
   * {@link DdpmScheduler} reads it; without it the scheduler's fixed variance is used.
   */
  readonly varianceValues?: Float32Array;
}

/**
 * A sampler for a per-token diffusion head that predicts ε (MAR `diffloss.py`), in the style
 * of diffusers: `setTimesteps(n)` respaces the T training steps to n, then the loop calls
 * `step(eps, t, sample, rng)` for every `t` of `timesteps` (descending original timesteps, the
 * values the model is conditioned on). Classifier-free guidance happens on ε before `step`.
 */
export interface DiffusionScheduler {
  /** Short identifier, e.g. `ddpm`. */
  readonly name: string;
  /** T, the training step count. */
  readonly numTrainTimesteps: number;
  /** ᾱ of the training schedule, length T (for tests and ε ↔ x₀ conversions). */
  readonly alphasCumprod: Float64Array;
  /** Original timesteps of the respaced chain, descending; one model call each. */
  readonly timesteps: Int32Array;
  /** Whether `step` may draw noise (then it needs an rng). */
  readonly stochastic: boolean;
  /**
   * Respaces the chain to `numSteps` (ADM `space_timesteps`).
   * @throws InvalidArgumentError when `numSteps` is not in 1..T
   */
  setTimesteps(numSteps: number): void;
  /**
   * Replaces `sample` (x_t) in place by x_{t_prev} given the model's ε at timestep `t`.
   * @throws InvalidArgumentError when `t` is not one of `timesteps`, on a length mismatch, or
   * when noise is needed and `rng` is missing
   */
  step(
    eps: Float32Array,
    t: number,
    sample: Float32Array,
    rng?: Rng,
    options?: DiffusionStepOptions,
  ): void;
}

/**
 * Training schedule, respacing and step lookup shared by the ε-prediction schedulers. Subclasses
 * implement only the update of one algorithm.
 */
export abstract class RespacedEpsilonScheduler implements DiffusionScheduler {
  abstract readonly name: string;
  abstract readonly stochastic: boolean;
  readonly numTrainTimesteps: number;
  readonly alphasCumprod: Float64Array;
  timesteps: Int32Array = new Int32Array(0);
  /** Respaced chain of the last `setTimesteps`. */
  protected tables: RespacedTables | undefined;
  private readonly stepOfTimestep = new Map<number, number>();

  constructor(options: DiffusionSchedulerOptions = {}) {
    this.numTrainTimesteps = options.numTrainTimesteps ?? 1000;
    this.alphasCumprod = alphasCumprod(
      betaSchedule(options.betaSchedule ?? 'cosine', this.numTrainTimesteps),
    );
  }

  setTimesteps(numSteps: number): void {
    const map = spaceTimesteps(this.numTrainTimesteps, numSteps);
    this.tables = respace(this.alphasCumprod, map);
    this.timesteps = Int32Array.from(map).reverse();
    this.stepOfTimestep.clear();
    map.forEach((t, k) => this.stepOfTimestep.set(t, k));
    this.onTimesteps(this.tables);
  }

  step(
    eps: Float32Array,
    t: number,
    sample: Float32Array,
    rng?: Rng,
    options: DiffusionStepOptions = {},
  ): void {
    const k = this.stepIndex(t);
    if (eps.length !== sample.length) {
      throw new InvalidArgumentError('eps', `length ${sample.length}`, `got ${eps.length}`);
    }
    const temperature = options.temperature ?? 1;
    if (!(temperature >= 0)) {
      throw new InvalidArgumentError('temperature', '>= 0', `got ${temperature}`);
    }
    this.update(eps, k, sample, rng, temperature, options);
  }

  /** Respaced step k (0 = the last, least noisy step) of training timestep `t`. */
  protected stepIndex(t: number): number {
    const k = this.stepOfTimestep.get(t);
    if (this.tables === undefined || k === undefined) {
      throw new InvalidArgumentError('t', 'one of timesteps (call setTimesteps first)', `got ${t}`);
    }
    return k;
  }

  /** Precomputes per-step coefficients after respacing. */
  protected abstract onTimesteps(tables: RespacedTables): void;

  /** One update at respaced step `k` (0 = the last, least noisy step). */
  protected abstract update(
    eps: Float32Array,
    k: number,
    sample: Float32Array,
    rng: Rng | undefined,
    temperature: number,
    options: DiffusionStepOptions,
  ): void;
}

/** Throws unless an rng is present for a step that draws noise. */
export function requireRng(rng: Rng | undefined): Rng {
  if (!rng) {
    throw new InvalidArgumentError('rng', 'required by a stochastic step', 'missing');
  }
  return rng;
}
