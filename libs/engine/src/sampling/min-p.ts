import { ensureCapacity, kthLargest } from './kth-largest';
import type { LogitsProcessor } from './logits-processor';

/**
 * Hugging Face `MinPLogitsWarper`: keeps tokens whose probability is at least `minP` times the
 * largest probability, and always the `minTokensToKeep` most probable (with
 * every token tied with the last of them, where HF's argsort would pick one arbitrarily).
 */
export class MinPLogitsWarper implements LogitsProcessor {
  private scratch: Float32Array = new Float32Array(0);

  /**
   * @param minP in [0, 1]; 0 keeps everything
   * @param minTokensToKeep tokens never masked, counted from the most probable
   */
  constructor(
    readonly minP: number,
    readonly minTokensToKeep = 1,
  ) {
    if (!(minP >= 0 && minP <= 1)) {
      throw new RangeError(`minP must be in [0, 1], got ${minP}`);
    }
    if (!Number.isInteger(minTokensToKeep) || minTokensToKeep < 1) {
      throw new RangeError(`minTokensToKeep must be an integer >= 1, got ${minTokensToKeep}`);
    }
  }

  process(logits: Float32Array): void {
    const n = logits.length;
    let max = -Infinity;
    for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
    if (max === -Infinity) return;
    // p_i >= minP·p_max  ⇔  exp(l_i − l_max) >= minP: no normalisation needed.
    let kept = 0;
    for (let i = 0; i < n; i++) if (Math.exp(logits[i] - max) >= this.minP) kept++;

    // Tokens at or above `floor` are protected; +Infinity protects none.
    let floor = Infinity;
    const mustKeep = Math.min(this.minTokensToKeep, n);
    if (kept < mustKeep) {
      this.scratch = ensureCapacity(this.scratch, n);
      floor = kthLargest(logits, mustKeep, this.scratch);
    }
    for (let i = 0; i < n; i++) {
      if (Math.exp(logits[i] - max) < this.minP && logits[i] < floor) logits[i] = -Infinity;
    }
  }
}
