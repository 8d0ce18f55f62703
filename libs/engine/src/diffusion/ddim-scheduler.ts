import { InvalidArgumentError } from '../errors/invalid-argument';
import type { Rng } from '../random/rng';
import {
  RespacedEpsilonScheduler,
  requireRng,
  type DiffusionSchedulerOptions,
} from './diffusion-scheduler';
import type { RespacedTables } from './respacing';

/** Options of {@link DdimScheduler}. */
export interface DdimSchedulerOptions extends DiffusionSchedulerOptions {
  /** η: 0 is the deterministic DDIM ODE, 1 matches DDPM's posterior variance. Default 0. */
  readonly eta?: number;
}

/**
 * DDIM with ε-prediction, as ADM/MAR `ddim_sample` (no clipping):
 *
 * x₀ = (x − √(1 − ᾱ_k)·ε)/√ᾱ_k, σ = η·√((1 − ᾱ_{k−1})/(1 − ᾱ_k))·√(1 − ᾱ_k/ᾱ_{k−1}),
 * x ← √ᾱ_{k−1}·x₀ + √(1 − ᾱ_{k−1} − σ²)·ε + σ·z·temperature (no noise at k = 0).
 *
 * With η = 0 it draws nothing, so the same start noise always gives the same token.
 */
export class DdimScheduler extends RespacedEpsilonScheduler {
  readonly name = 'ddim';
  readonly stochastic: boolean;
  readonly eta: number;
  private sigmas: Float64Array = new Float64Array(0);

  constructor(options: DdimSchedulerOptions = {}) {
    super(options);
    this.eta = options.eta ?? 0;
    if (!(this.eta >= 0)) {
      throw new InvalidArgumentError('eta', '>= 0', `got ${this.eta}`);
    }
    this.stochastic = this.eta > 0;
  }

  protected onTimesteps({ alphasCumprod, alphasCumprodPrev }: RespacedTables): void {
    this.sigmas = alphasCumprod.map(
      (alphaBar, k) =>
        this.eta *
        Math.sqrt((1 - alphasCumprodPrev[k]) / (1 - alphaBar)) *
        Math.sqrt(1 - alphaBar / alphasCumprodPrev[k]),
    );
  }

  protected update(
    eps: Float32Array,
    k: number,
    sample: Float32Array,
    rng: Rng | undefined,
    temperature: number,
  ): void {
    const tables = this.tables as RespacedTables;
    const alphaBar = tables.alphasCumprod[k];
    const alphaBarPrev = tables.alphasCumprodPrev[k];
    const sigma = this.sigmas[k];
    const random = k > 0 && sigma > 0 ? requireRng(rng) : undefined;
    const sqrtAlphaBar = Math.sqrt(alphaBar);
    const sqrtOneMinus = Math.sqrt(1 - alphaBar);
    const sqrtPrev = Math.sqrt(alphaBarPrev);
    const direction = Math.sqrt(Math.max(0, 1 - alphaBarPrev - sigma * sigma));
    for (let j = 0; j < sample.length; j++) {
      const x0 = (sample[j] - sqrtOneMinus * eps[j]) / sqrtAlphaBar;
      const mean = sqrtPrev * x0 + direction * eps[j];
      sample[j] = random ? mean + sigma * random.normal() * temperature : mean;
    }
  }
}
