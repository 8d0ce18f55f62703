import type { DiffusionTokenHead, TokenDraw, TokenTrajectory } from '../heads/diffusion-token-head';
import { InvalidArgumentError } from '../errors/invalid-argument';
import type { Rng } from '../random/rng';

/** Counters of continuous speculative decoding. */
export class ContinuousAcceptanceStats {
  /** Draft tokens proposed. */
  proposed = 0;
  /** Draft tokens kept. */
  accepted = 0;
  /** Target paths drawn while sampling refused tokens from the residual. */
  residualProposals = 0;
  /** Refused tokens whose residual sampling hit the try limit (they keep the last target draw). */
  fallbacks = 0;

  get acceptanceRate(): number {
    return this.proposed === 0 ? 0 : this.accepted / this.proposed;
  }
}

/** Options of {@link ContinuousSpeculativeSampler}. */
export interface ContinuousSpeculationOptions {
  /** Residual rejection sampling gives up after this many target paths (CSpD: 100). */
  readonly maxResidualTries?: number;
}

/**
 * Continuous speculative decoding (CSpD, arXiv 2411.11925) for per-token diffusion heads, in its
 * exact form. Both heads run the same ancestral chain, so a token's law is the law of its
 * denoising path x_T → … → x₁ (a product of Gaussian step densities) followed by the last,
 * noiseless step:
 *
 * - the draft head draws every token's path; the target head scores all its states in one
 *   batched call, and the token is kept with probability min(1, p(path)/q(path)), its value
 *   being the target's own last step from x₁;
 * - a refused token is drawn from the residual max(0, p − q) by rejection: a target path y is
 *   kept with probability max(0, 1 − q(y)/p(y)) (the draft scores it in one call), up to
 *   `maxResidualTries` paths.
 *
 * Kept or redrawn, each token then follows the target's law exactly (speculative sampling on
 * paths), and tokens of one round stay independent given their z, as in plain MAR. CSpD's
 * shared noise is the start noise x_T the draft's path begins from.
 */
export class ContinuousSpeculativeSampler {
  private readonly maxTries: number;

  constructor(
    readonly target: DiffusionTokenHead,
    readonly draft: DiffusionTokenHead,
    options: ContinuousSpeculationOptions = {},
  ) {
    this.maxTries = options.maxResidualTries ?? 100;
    const a = target.scheduler.timesteps;
    const b = draft.scheduler.timesteps;
    if (a.length !== b.length || a.some((t, i) => t !== b[i]))
      throw new RangeError('target and draft heads must run the same diffusion timesteps');
    if (target.tokenDim !== draft.tokenDim)
      throw new RangeError('target and draft heads must draw tokens of the same width');
  }

  /**
   * Draws `rows` tokens from the target's law. `zTarget` / `zDraft` are each model's condition
   * rows (`[cond; uncond]` when guided). Returns [rows, tokenDim].
   */
  async sample(
    zTarget: Float32Array,
    zDraft: Float32Array,
    rows: number,
    draw: TokenDraw,
    rng: Rng,
    stats: ContinuousAcceptanceStats,
  ): Promise<Float32Array> {
    if (!(draw.temperature > 0))
      throw new InvalidArgumentError(
        'sampling.temperature',
        '> 0 with speculative decoding (a noiseless path has no density)',
        `got ${draw.temperature}`,
      );
    const dim = this.target.tokenDim;
    const path = await this.draft.trajectory(zDraft, rows, draw, rng);
    const scored = await this.score(this.target, path, zTarget, rows, draw);
    const out = scored.last;
    const refused: number[] = [];
    for (let r = 0; r < rows; r++) {
      // log p/q of the draft's own path: the draft's means against the target's.
      const logRatio = scored.logDensity[r] - ownLogDensity(path, r, dim, draw.temperature);
      stats.proposed++;
      if (Math.log(rng.uniform()) < Math.min(0, logRatio)) stats.accepted++;
      else refused.push(r);
    }
    if (refused.length > 0) {
      const redrawn = await this.residual(zTarget, zDraft, rows, refused, draw, rng, stats);
      refused.forEach((r, i) => out.set(redrawn.subarray(i * dim, (i + 1) * dim), r * dim));
    }
    return out;
  }

  /** Draws tokens `which` from the residual law norm(max(0, p − q)) by rejection. */
  private async residual(
    zTarget: Float32Array,
    zDraft: Float32Array,
    rows: number,
    which: readonly number[],
    draw: TokenDraw,
    rng: Rng,
    stats: ContinuousAcceptanceStats,
  ): Promise<Float32Array> {
    const dim = this.target.tokenDim;
    const out = new Float32Array(which.length * dim);
    let pending = which.map((_, i) => i);
    for (let attempt = 0; attempt < this.maxTries && pending.length > 0; attempt++) {
      const rowsNow = pending.map((i) => which[i]);
      const zt = pickRows(zTarget, rows, rowsNow, this.target.denoiser.conditionDim, draw);
      const zd = pickRows(zDraft, rows, rowsNow, this.draft.denoiser.conditionDim, draw);
      const path = await this.target.trajectory(zt, rowsNow.length, draw, rng);
      const scored = await this.score(this.draft, path, zd, rowsNow.length, draw);
      stats.residualProposals += rowsNow.length;
      const still: number[] = [];
      pending.forEach((i, j) => {
        const logQOverP = scored.logDensity[j] - ownLogDensity(path, j, dim, draw.temperature);
        // Keep y with probability max(0, 1 − q(y)/p(y)).
        const keep = rng.uniform() < 1 - Math.exp(Math.min(0, logQOverP));
        // The last try's draw stays as the fallback when nothing is kept.
        out.set(path.tokens.subarray(j * dim, (j + 1) * dim), i * dim);
        if (!keep) still.push(i);
      });
      pending = still;
    }
    stats.fallbacks += pending.length;
    return out;
  }

  /**
   * Scores `path` (drawn by the other head) under `head`: the log density of every row's path
   * with `head`'s step means, and `head`'s last step from the path's final state.
   */
  private async score(
    head: DiffusionTokenHead,
    path: TokenTrajectory,
    z: Float32Array,
    rows: number,
    draw: TokenDraw,
  ): Promise<{ logDensity: Float64Array; last: Float32Array }> {
    const dim = head.tokenDim;
    const eps = await head.epsilonAlong(path.states, z, rows, draw);
    const { timesteps } = head.scheduler;
    const logDensity = new Float64Array(rows);
    const mean = new Float32Array(rows * dim);
    for (let i = 0; i + 1 < path.states.length; i++) {
      const logVariance = head.scheduler.distribution(eps[i], timesteps[i], path.states[i], mean);
      addLogDensity(logDensity, path.states[i + 1], mean, logVariance, dim, draw.temperature);
    }
    const n = path.states.length - 1;
    const last = new Float32Array(rows * dim);
    head.scheduler.distribution(eps[n], timesteps[n], path.states[n], last);
    return { logDensity, last };
  }
}

/** Log density of row `r`'s path under the head that drew it (its recorded means). */
function ownLogDensity(path: TokenTrajectory, r: number, dim: number, temperature: number): number {
  const one = new Float64Array(1);
  for (let i = 0; i < path.means.length; i++) {
    addLogDensity(
      one,
      path.states[i + 1].subarray(r * dim, (r + 1) * dim),
      path.means[i].subarray(r * dim, (r + 1) * dim),
      path.logVariances[i],
      dim,
      temperature,
    );
  }
  return one[0];
}

/**
 * Adds log N(x; μ, σ²τ²) per row, without the constant terms (they cancel in every ratio the
 * two heads form, because both use the same fixed variance of a step).
 */
function addLogDensity(
  into: Float64Array,
  x: Float32Array,
  mean: Float32Array,
  logVariance: number,
  dim: number,
  temperature: number,
): void {
  const inverse = 1 / (2 * Math.exp(logVariance) * temperature * temperature);
  for (let r = 0; r < into.length; r++) {
    let sum = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) sum += (x[j] - mean[j]) ** 2;
    into[r] -= sum * inverse;
  }
}

/** Rows `which` of a `[cond; uncond]` (or single) block of `rows` condition rows. */
function pickRows(
  z: Float32Array,
  rows: number,
  which: readonly number[],
  width: number,
  draw: TokenDraw,
): Float32Array {
  const branches = draw.guidanceScale !== 1 ? 2 : 1;
  const out = new Float32Array(branches * which.length * width);
  for (let b = 0; b < branches; b++)
    which.forEach((r, i) =>
      out.set(
        z.subarray((b * rows + r) * width, (b * rows + r + 1) * width),
        (b * which.length + i) * width,
      ),
    );
  return out;
}
