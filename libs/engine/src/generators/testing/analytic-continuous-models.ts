import type {
  CellVelocityModel,
  MaskedTokenBackbone,
  TokenDenoiser,
} from '../../generation/step-model';
import type { ContinuousTokens, Decoder } from '../../generation/decoder';
import { gaussianVelocity } from '../../solvers/testing';

/**
 * Test doubles with known answers for the continuous-token loops: every token value is
 * N(μ, σ²) data whose mean depends on the class (and cell / position), so the exact velocity or
 * ε of the data law is known in closed form.
 */

/** xAR double: cell k of class c holds N(c + k/10, σ²) values; records what it was fed. */
export class GaussianCellModel implements CellVelocityModel {
  readonly calls: { cell: number; t: number; context?: Float32Array; batch: number }[] = [];
  private batch = 0;

  constructor(
    readonly tokenDim: number,
    readonly cellSize: number,
    readonly cellCount: number,
    readonly sigma: number,
    readonly nullClass: number,
  ) {}

  static meanOf(classLabel: number, cell: number): number {
    return classLabel + cell / 10;
  }

  reset(batch: number): void {
    this.batch = batch;
  }

  async velocity(
    noisy: Float32Array,
    t: number,
    cell: number,
    classLabels: Int32Array,
    context?: Float32Array,
  ): Promise<Float32Array> {
    this.calls.push({ cell, t, context: context?.slice(), batch: this.batch });
    const per = this.cellSize * this.tokenDim;
    const out = new Float32Array(this.batch * per);
    for (let r = 0; r < this.batch; r++) {
      // The null class predicts the data mean of class 0 (a distinct unconditional law).
      const label = classLabels[r] === this.nullClass ? 0 : classLabels[r];
      const field = gaussianVelocity(GaussianCellModel.meanOf(label, cell), this.sigma);
      out.set(field(noisy.subarray(r * per, (r + 1) * per), t), r * per);
    }
    return out;
  }
}

/** MAR backbone double: z of every position is [class mean, position / L]; counts calls. */
export class ClassMeanBackbone implements MaskedTokenBackbone {
  readonly conditionDim = 2;
  readonly masks: Float32Array[] = [];

  constructor(
    readonly seqLen: number,
    readonly tokenDim: number,
    readonly nullClass: number,
    readonly mean: (classLabel: number) => number,
  ) {}

  async encode(
    _tokens: Float32Array,
    mask: Float32Array,
    classLabels: Int32Array,
    batch: number,
  ): Promise<Float32Array> {
    this.masks.push(mask.slice(0, batch * this.seqLen));
    const z = new Float32Array(batch * this.seqLen * 2);
    for (let r = 0; r < batch; r++) {
      const label = classLabels[r] === this.nullClass ? 0 : classLabels[r];
      for (let p = 0; p < this.seqLen; p++) {
        z[(r * this.seqLen + p) * 2] = this.mean(label);
        z[(r * this.seqLen + p) * 2 + 1] = p / this.seqLen;
      }
    }
    return z;
  }
}

/**
 * The exact ε of N(z₀ + shift, σ²) data (z₀ = the first condition value), per row at its own
 * timestep: E[ε | x_t] = √(1 − ᾱ)/V·(x_t − √ᾱ·μ), V = ᾱσ² + 1 − ᾱ.
 */
export class GaussianDenoiser implements TokenDenoiser {
  calls = 0;

  constructor(
    readonly tokenDim: number,
    readonly conditionDim: number,
    readonly sigma: number,
    readonly alphasCumprod: Float64Array,
    readonly shift = 0,
  ) {}

  async epsilon(
    x: Float32Array,
    t: Int32Array,
    z: Float32Array,
    rows: number,
  ): Promise<Float32Array> {
    this.calls++;
    const out = new Float32Array(rows * this.tokenDim);
    for (let r = 0; r < rows; r++) {
      const alphaBar = this.alphasCumprod[t[r]];
      const mu = z[r * this.conditionDim] + this.shift;
      const variance = alphaBar * this.sigma ** 2 + 1 - alphaBar;
      const gain = Math.sqrt(1 - alphaBar) / variance;
      for (let j = r * this.tokenDim; j < (r + 1) * this.tokenDim; j++)
        out[j] = gain * (x[j] - Math.sqrt(alphaBar) * mu);
    }
    return out;
  }
}

/** A decoder that returns the tokens themselves (a copy). */
export class IdentityTokenDecoder implements Decoder<ContinuousTokens, ContinuousTokens> {
  async decode(input: ContinuousTokens): Promise<ContinuousTokens> {
    return { tokens: input.tokens.slice(), images: input.images };
  }
}

/** Two-sample Kolmogorov–Smirnov statistic D = sup |F_a − F_b|. */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** The KS critical value at level `alpha` for samples of sizes n and m (asymptotic). */
export function ksCritical(n: number, m: number, alpha: number): number {
  return Math.sqrt(-Math.log(alpha / 2) / 2) * Math.sqrt((n + m) / (n * m));
}
