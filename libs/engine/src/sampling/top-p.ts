import type { LogitsProcessor } from './logits-processor';

/**
 * Nucleus filtering exactly as Hugging Face `TopPLogitsWarper`: sort ascending, take the
 * cumulative softmax, mask every token whose cumulative probability is `<= 1 - topP`, and never
 * mask the `minTokensToKeep` largest. Equal logits keep their index order in the ascending sort, as torch's stable sort
 * does, so among ties at the boundary the lower ids are masked first.
 */
export class TopPLogitsWarper implements LogitsProcessor {
  private order = new Uint32Array(0);
  private current: Float32Array = new Float32Array(0);
  private readonly ascending = (a: number, b: number): number =>
    this.current[a] - this.current[b] || a - b;

  /**
   * @param topP in [0, 1]; 1 keeps every token with non-zero probability
   * @param minTokensToKeep tokens never masked, counted from the most probable
   */
  constructor(
    readonly topP: number,
    readonly minTokensToKeep = 1,
  ) {
    if (!(topP >= 0 && topP <= 1)) {
      throw new RangeError(`topP must be in [0, 1], got ${topP}`);
    }
    if (!Number.isInteger(minTokensToKeep) || minTokensToKeep < 1) {
      throw new RangeError(`minTokensToKeep must be an integer >= 1, got ${minTokensToKeep}`);
    }
  }

  process(logits: Float32Array): void {
    const n = logits.length;
    const removable = n - this.minTokensToKeep;
    if (removable <= 0) return;
    if (this.order.length < n) this.order = new Uint32Array(n);
    const order = this.order.subarray(0, n);
    for (let i = 0; i < n; i++) order[i] = i;
    this.current = logits;
    order.sort(this.ascending);
    this.current = EMPTY;

    const max = logits[order[n - 1]];
    if (max === -Infinity) return;
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.exp(logits[i] - max);
    // Comparing unnormalised mass against (1 - topP)·total avoids n divisions.
    const threshold = (1 - this.topP) * total;
    let cumulative = 0;
    for (let r = 0; r < removable; r++) {
      const index = order[r];
      cumulative += Math.exp(logits[index] - max);
      if (cumulative > threshold) break;
      logits[index] = -Infinity;
    }
  }
}

const EMPTY = new Float32Array(0);
