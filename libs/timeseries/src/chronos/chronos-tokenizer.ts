import type { ChronosTokenizerConfig } from './chronos-manifest';

/** A context turned into token ids, with the affine map that turns bins back into values. */
export interface EncodedContext {
  readonly tokens: Int32Array;
  readonly loc: number;
  readonly scale: number;
}

/**
 * Chronos' `MeanScaleUniformBins` (amazon-science/chronos-forecasting `chronos.py`) with a
 * location: z = (x − mean) / mean|x − mean| over the context, then uniform bins over
 * [low, high]; a token decodes to its bin centre. The model was trained on exactly this
 * arithmetic (float64), so it is reproduced bin edge for bin edge.
 */
export class ChronosTokenizer {
  private readonly centres: Float64Array;
  private readonly edges: Float64Array;

  constructor(private readonly config: ChronosTokenizerConfig) {
    const { bins, lowLimit, highLimit } = config;
    this.centres = Float64Array.from(
      { length: bins },
      (_, j) => lowLimit + (j * (highLimit - lowLimit)) / (bins - 1),
    );
    this.edges = Float64Array.from(
      { length: bins - 1 },
      (_, j) => (this.centres[j] + this.centres[j + 1]) / 2,
    );
  }

  /** First and one-past-last id a forecast may draw (PAD and EOS are never drawn). */
  get valueIds(): readonly [number, number] {
    return [this.config.specialTokens, this.config.specialTokens + this.config.bins];
  }

  encode(context: ArrayLike<number>): EncodedContext {
    const n = context.length;
    let loc = 0;
    for (let i = 0; i < n; i++) loc += context[i];
    loc /= n;
    let spread = 0;
    for (let i = 0; i < n; i++) spread += Math.abs(context[i] - loc);
    spread /= n;
    // A constant context has no spread: scale 1 keeps it at the centre bin.
    const scale = spread > 0 ? spread : 1;
    const tokens = new Int32Array(n);
    for (let i = 0; i < n; i++) tokens[i] = this.tokenOf((context[i] - loc) / scale);
    return { tokens, loc, scale };
  }

  /** Value of a token under a context's `loc` and `scale`. */
  decode(token: number, loc: number, scale: number): number {
    const bin = Math.min(Math.max(token - this.config.specialTokens, 0), this.config.bins - 1);
    return loc + scale * this.centres[bin];
  }

  /** `specialTokens` + the number of edges ≤ z (torch.bucketize with right=True), by bisection. */
  private tokenOf(z: number): number {
    let lo = 0;
    let hi = this.edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.edges[mid] <= z) lo = mid + 1;
      else hi = mid;
    }
    return this.config.specialTokens + lo;
  }
}
