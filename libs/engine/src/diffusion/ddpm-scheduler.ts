import { InvalidArgumentError } from '../errors/invalid-argument';
import type { Rng } from '../random/rng';
import {
  RespacedEpsilonScheduler,
  requireRng,
  type DiffusionSchedulerOptions,
  type DiffusionStepOptions,
} from './diffusion-scheduler';
import type { RespacedTables } from './respacing';

/** Fixed reverse variances of ADM: the posterior σ̃² (`small`) or β (`large`). */
export type DdpmVarianceType = 'fixedSmall' | 'fixedLarge';

/** Options of {@link DdpmScheduler}. */
export interface DdpmSchedulerOptions extends DiffusionSchedulerOptions {
  /**
   * Variance used when the step gets no learned-range values. Default `fixedLarge`, ADM/MAR
   * `create_diffusion`'s choice when sigma is not learned; `fixedSmall` (σ̃²) under-disperses
   * with few steps. MAR learns the variance: pass its `varianceValues` to `step`.
   */
  readonly varianceType?: DdpmVarianceType;
  /**
   * Clips the predicted x₀ to [−r, r] before the posterior mean (ADM `clip_denoised`, diffusers
   * `clip_sample_range`). MAR passes no clipping; a small head on pixel tokens needs it, because
   * at the last training timestep of the cosine schedule 1/√ᾱ is about 2·10⁴ and any ε error
   * would blow x₀ up. Default: no clipping.
   */
  readonly clipSample?: number;
}

/**
 * Ancestral DDPM sampling with ε-prediction, as ADM/MAR `p_sample` (no clipping of x₀, MAR
 * passes `clip_denoised=False`):
 *
 * x₀ = √(1/ᾱ_k)·x − √(1/ᾱ_k − 1)·ε, μ = c₁·x₀ + c₂·x with c₁ = β_k√ᾱ_{k−1}/(1 − ᾱ_k),
 * c₂ = (1 − ᾱ_{k−1})√α_k/(1 − ᾱ_k), then x ← μ + exp(½·log σ²)·z·temperature except at k = 0.
 */
export class DdpmScheduler extends RespacedEpsilonScheduler {
  readonly name = 'ddpm';
  readonly stochastic = true;
  private readonly varianceType: DdpmVarianceType;
  private readonly clip: number;
  private coefficients: {
    recip: Float64Array;
    recipMinusOne: Float64Array;
    mean1: Float64Array;
    mean2: Float64Array;
    logVarianceSmall: Float64Array;
    logBeta: Float64Array;
  } = {
    recip: new Float64Array(0),
    recipMinusOne: new Float64Array(0),
    mean1: new Float64Array(0),
    mean2: new Float64Array(0),
    logVarianceSmall: new Float64Array(0),
    logBeta: new Float64Array(0),
  };

  constructor(options: DdpmSchedulerOptions = {}) {
    super(options);
    this.varianceType = options.varianceType ?? 'fixedLarge';
    this.clip = options.clipSample ?? Infinity;
  }

  protected onTimesteps({ betas, alphasCumprod, alphasCumprodPrev }: RespacedTables): void {
    const n = betas.length;
    const c = {
      recip: new Float64Array(n),
      recipMinusOne: new Float64Array(n),
      mean1: new Float64Array(n),
      mean2: new Float64Array(n),
      logVarianceSmall: new Float64Array(n),
      logBeta: new Float64Array(n),
    };
    const posteriorVariance = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const alphaBar = alphasCumprod[k];
      const alphaBarPrev = alphasCumprodPrev[k];
      c.recip[k] = Math.sqrt(1 / alphaBar);
      c.recipMinusOne[k] = Math.sqrt(1 / alphaBar - 1);
      c.mean1[k] = (betas[k] * Math.sqrt(alphaBarPrev)) / (1 - alphaBar);
      c.mean2[k] = ((1 - alphaBarPrev) * Math.sqrt(1 - betas[k])) / (1 - alphaBar);
      posteriorVariance[k] = (betas[k] * (1 - alphaBarPrev)) / (1 - alphaBar);
    }
    for (let k = 0; k < n; k++) {
      // ADM clips the log: σ̃²_0 = 0, so step 0 borrows σ̃²_1 (its noise is never used anyway).
      const small = k === 0 && n > 1 ? posteriorVariance[1] : posteriorVariance[k];
      c.logVarianceSmall[k] = Math.log(small);
      // fixedLarge is append(σ̃²_1, β[1:]) in ADM for the same reason.
      c.logBeta[k] = Math.log(k === 0 && n > 1 ? posteriorVariance[1] : betas[k]);
    }
    this.coefficients = c;
  }

  /**
   * The Gaussian of one ancestral step without drawing from it: writes the mean μ of
   * x_{t_prev} into `mean` and returns log σ² (one value: the fixed variance of step `t`, or per
   * element when `varianceValues` are given, written into `logVariance`). What continuous
   * speculative decoding compares between target and draft. At the last step (the one whose
   * `step` adds no noise) the mean is the output.
   */
  distribution(
    eps: Float32Array,
    t: number,
    sample: Float32Array,
    mean: Float32Array,
    options: { varianceValues?: Float32Array; logVariance?: Float32Array } = {},
  ): number {
    const k = this.stepIndex(t);
    this.meanAt(eps, k, sample, mean);
    const { varianceValues, logVariance } = options;
    if (varianceValues && logVariance) {
      for (let j = 0; j < sample.length; j++)
        logVariance[j] = this.learnedLogVariance(k, varianceValues[j]);
    }
    return this.fixedLogVariance(k);
  }

  /** Whether the step at timestep `t` draws noise (every step but the last). */
  isNoisy(t: number): boolean {
    return this.stepIndex(t) > 0;
  }

  protected update(
    eps: Float32Array,
    k: number,
    sample: Float32Array,
    rng: Rng | undefined,
    temperature: number,
    { varianceValues }: DiffusionStepOptions,
  ): void {
    if (varianceValues && varianceValues.length !== sample.length) {
      throw new InvalidArgumentError(
        'variance_values',
        `length ${sample.length}`,
        `got ${varianceValues.length}`,
      );
    }
    const random = k > 0 ? requireRng(rng) : undefined;
    this.meanAt(eps, k, sample, sample);
    if (!random) return;
    const fixedLog = this.fixedLogVariance(k);
    for (let j = 0; j < sample.length; j++) {
      const logVariance = varianceValues ? this.learnedLogVariance(k, varianceValues[j]) : fixedLog;
      sample[j] += Math.exp(0.5 * logVariance) * random.normal() * temperature;
    }
  }

  /** μ = c₁·x₀ + c₂·x with x₀ = √(1/ᾱ_k)·x − √(1/ᾱ_k − 1)·ε (`out` may be `sample`). */
  private meanAt(eps: Float32Array, k: number, sample: Float32Array, out: Float32Array): void {
    const c = this.coefficients;
    for (let j = 0; j < sample.length; j++) {
      const x = sample[j];
      const x0 = Math.min(
        this.clip,
        Math.max(-this.clip, c.recip[k] * x - c.recipMinusOne[k] * eps[j]),
      );
      out[j] = c.mean1[k] * x0 + c.mean2[k] * x;
    }
  }

  private fixedLogVariance(k: number): number {
    const c = this.coefficients;
    return this.varianceType === 'fixedSmall' ? c.logVarianceSmall[k] : c.logBeta[k];
  }

  /** LEARNED_RANGE interpolates between log σ̃² (clipped) and log β of the respaced chain. */
  private learnedLogVariance(k: number, value: number): number {
    const maxLog = Math.log(this.tables?.betas[k] ?? 1);
    const frac = (value + 1) / 2;
    return frac * maxLog + (1 - frac) * this.coefficients.logVarianceSmall[k];
  }
}
