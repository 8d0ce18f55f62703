import type { TokenDenoiser } from '../generation/step-model';
import type { DdpmScheduler } from '../diffusion/ddpm-scheduler';
import { applyCfg } from '../guidance/apply-cfg';
import type { Rng } from '../random/rng';

/** How one round's tokens are drawn. */
export interface TokenDraw {
  /** Classifier-free guidance scale on ε (1 = conditional only). */
  readonly guidanceScale: number;
  /** Multiplies the noise of each ancestral step (MAR's temperature). */
  readonly temperature: number;
}

/**
 * A draw with its whole denoising path, for continuous speculative decoding: the start noise,
 * every state the ancestral steps visited and the mean each step drew around.
 */
export interface TokenTrajectory {
  /** [steps][rows · tokenDim]: states[0] is the start noise, states[i] the input of step i. */
  readonly states: Float32Array[];
  /** [steps − 1][rows · tokenDim]: the mean of each noisy step (state i + 1 was drawn around it). */
  readonly means: Float32Array[];
  /** log σ² of each noisy step (fixed variance). */
  readonly logVariances: Float64Array;
  /** The drawn tokens: the last step's mean. */
  readonly tokens: Float32Array;
}

/**
 * MAR's diffusion head (`DiffLoss.sample`): per-token ancestral DDPM with ε-prediction over a
 * small denoiser conditioned on the backbone's z, classifier-free guidance on ε (both halves of
 * the guided batch denoise the same x), temperature on the step noise. Tokens of a round are
 * independent given their z, so a round of n tokens is one batched denoiser call per step.
 */
export class DiffusionTokenHead {
  private x = new Float32Array(0);
  private guided = new Float32Array(0);
  private timesteps = new Int32Array(0);

  /**
   * @param scheduler a DDPM scheduler with its timesteps set (`num_sampling_steps`)
   */
  constructor(
    readonly denoiser: TokenDenoiser,
    readonly scheduler: DdpmScheduler,
  ) {}

  get tokenDim(): number {
    return this.denoiser.tokenDim;
  }

  /**
   * Draws `rows` tokens. `z` holds `rows` condition rows, followed by `rows` unconditional ones
   * when `guidanceScale` ≠ 1 (`[cond; uncond]`). Returns [rows, tokenDim] (a fresh array).
   */
  async sample(z: Float32Array, rows: number, draw: TokenDraw, rng: Rng): Promise<Float32Array> {
    return (await this.run(z, rows, draw, rng, undefined, false)).tokens;
  }

  /** As {@link sample}, keeping the path (for speculative verification). */
  async trajectory(
    z: Float32Array,
    rows: number,
    draw: TokenDraw,
    rng: Rng,
    start?: Float32Array,
  ): Promise<TokenTrajectory> {
    return this.run(z, rows, draw, rng, start, true);
  }

  /**
   * ε at many (state, step) pairs in one denoiser call: `states[i]` is evaluated at step i for
   * all `rows` tokens (CFG folded). What a verifier needs to score another model's path.
   * Returns one guided ε array per state.
   */
  async epsilonAlong(
    states: readonly Float32Array[],
    z: Float32Array,
    rows: number,
    draw: TokenDraw,
  ): Promise<Float32Array[]> {
    const dim = this.tokenDim;
    const width = this.denoiser.conditionDim;
    const branches = this.branches(draw);
    const steps = states.length;
    const total = steps * branches * rows;
    const x = new Float32Array(total * dim);
    const t = new Int32Array(total);
    const zz = new Float32Array(total * width);
    const { timesteps } = this.scheduler;
    for (let i = 0; i < steps; i++) {
      for (let b = 0; b < branches; b++) {
        const at = (i * branches + b) * rows;
        x.set(states[i], at * dim);
        t.fill(timesteps[i], at, at + rows);
        zz.set(z.subarray(b * rows * width, (b + 1) * rows * width), at * width);
      }
    }
    const eps = await this.denoiser.epsilon(x, t, zz, total);
    return states.map((_, i) => {
      const block = eps.subarray(i * branches * rows * dim, (i + 1) * branches * rows * dim);
      return branches === 2
        ? applyCfg(block, rows, dim, draw.guidanceScale, new Float32Array(rows * dim))
        : block.slice();
    });
  }

  /** 2 when guided (`[cond; uncond]`), else 1. */
  branches(draw: TokenDraw): 1 | 2 {
    return draw.guidanceScale !== 1 ? 2 : 1;
  }

  private async run(
    z: Float32Array,
    rows: number,
    draw: TokenDraw,
    rng: Rng,
    start: Float32Array | undefined,
    keep: boolean,
  ): Promise<TokenTrajectory> {
    const dim = this.tokenDim;
    const branches = this.branches(draw);
    const size = rows * dim;
    this.reserve(branches * size, branches * rows);
    const x = this.x.subarray(0, branches * size);
    const own = x.subarray(0, size);
    if (start) own.set(start);
    // MAR draws the start noise at temperature 1; only the step noise is scaled.
    else for (let j = 0; j < size; j++) own[j] = rng.normal();
    const states: Float32Array[] = [];
    const means: Float32Array[] = [];
    const { timesteps } = this.scheduler;
    const logVariances = new Float64Array(Math.max(0, timesteps.length - 1));
    const t = this.timesteps.subarray(0, branches * rows);
    const guided = this.guided.subarray(0, size);
    for (let i = 0; i < timesteps.length; i++) {
      if (branches === 2) x.copyWithin(size, 0, size);
      if (keep) states.push(own.slice());
      t.fill(timesteps[i]);
      const eps = await this.denoiser.epsilon(x, t, z, branches * rows);
      if (branches === 2) applyCfg(eps, rows, dim, draw.guidanceScale, guided);
      else guided.set(eps.subarray(0, size));
      if (keep && i < timesteps.length - 1) {
        const mean = new Float32Array(size);
        logVariances[i] = this.scheduler.distribution(guided, timesteps[i], own, mean);
        means.push(mean);
      }
      this.scheduler.step(guided, timesteps[i], own, rng, { temperature: draw.temperature });
    }
    return { states, means, logVariances, tokens: own.slice() };
  }

  private reserve(values: number, rows: number): void {
    if (this.x.length < values) {
      this.x = new Float32Array(values);
      this.guided = new Float32Array(values);
      this.timesteps = new Int32Array(rows);
    }
  }
}
