import { writeResidual, type AcceptanceRule } from './acceptance-rule';
import type { NeighbourTable } from './neighbour-table';
import { ratio } from './standard-acceptance';

/** LANTERN's relaxation parameters. */
export interface LanternOptions {
  /** Latent neighbours of every code, nearest first. */
  readonly neighbours: NeighbourTable;
  /** Neighbours considered per token (`lantern_k`, ≤ the table width). Official default 1000. */
  readonly k: number;
  /**
   * Mass that may be borrowed from neighbours (`lantern_delta`, official default 0.1). Values
   * above 1 switch to the official relative rule: at most `(δ − 1)·p(x)`.
   */
  readonly delta: number;
}

/**
 * LANTERN relaxed acceptance (Jang et al. 2025; jadohu/LANTERN `evaluate_posterior`). Visual
 * tokens that are close in latent space are interchangeable, so draft token x may borrow the
 * target mass of its nearest neighbours n₁(x), n₂(x), …:
 * `m* = max{m ≤ k : Σ_{i≤m} p(nᵢ(x)) ≤ δ}`, `p̃(x) = p(x) + Σ_{i≤m*} p(nᵢ(x))`, and x is kept with
 * probability `min(1, p̃(x)/q(x))`. A rejection resamples from `norm(max(p − q, 0))`. With δ = 0
 * this is {@link StandardAcceptance}; with δ > 0 more drafts survive and the output drifts from the
 * target only towards draft tokens that absorbed neighbour mass (each by at most δ).
 */
export class LanternAcceptance implements AcceptanceRule {
  private readonly indices: Int32Array;
  private readonly width: number;
  private readonly k: number;
  private readonly delta: number;

  constructor(options: LanternOptions) {
    const { neighbours, k, delta } = options;
    if (!Number.isInteger(k) || k < 0 || k > neighbours.width) {
      throw new RangeError(
        `k must be an integer in [0, ${neighbours.width}] (the table width), got ${k}`,
      );
    }
    if (!(delta >= 0) || !Number.isFinite(delta)) {
      throw new RangeError(`delta must be a finite number >= 0, got ${delta}`);
    }
    this.indices = neighbours.indices;
    this.width = neighbours.width;
    this.k = k;
    this.delta = delta;
  }

  /** `p̃(x)`: the target mass of x plus what it may borrow from its latent neighbours. */
  relaxedProbability(target: Float32Array, token: number): number {
    const px = target[token];
    const budget = this.delta > 1 ? (this.delta - 1) * px : this.delta;
    const offset = token * this.width;
    if (offset + this.k > this.indices.length) {
      throw new RangeError(`token ${token} has no row in the neighbour table`);
    }
    // Probabilities are non-negative, so the running sum is monotone and the last m under the
    // budget is where it first exceeds it.
    let borrowed = 0;
    for (let i = 0; i < this.k; i++) {
      const neighbour = this.indices[offset + i];
      if (neighbour < 0) break;
      const next = borrowed + target[neighbour];
      if (next > budget) break;
      borrowed = next;
    }
    return px + borrowed;
  }

  acceptanceProbability(target: Float32Array, draft: Float32Array, token: number): number {
    return ratio(this.relaxedProbability(target, token), draft[token]);
  }

  residual(target: Float32Array, draft: Float32Array, _token: number, out: Float32Array): void {
    writeResidual(target, draft, out);
  }
}
