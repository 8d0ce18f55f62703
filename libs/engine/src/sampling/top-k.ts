import { ensureCapacity, kthLargest } from './kth-largest';
import type { LogitsProcessor } from './logits-processor';

/**
 * Keeps the `k` largest logits and masks the rest (HF `TopKLogitsWarper`). Ties with the k-th
 * largest value are all kept, so more than `k` tokens may survive: HF removes `scores < kth`.
 */
export class TopKLogitsWarper implements LogitsProcessor {
  private readonly k: number;
  private scratch: Float32Array = new Float32Array(0);

  /**
   * @param topK number of tokens to keep; 0 disables the warper (LlamaGen's convention)
   * @param minTokensToKeep lower bound on `topK`, as HF's `max(top_k, min_tokens_to_keep)`
   */
  constructor(topK: number, minTokensToKeep = 1) {
    if (!Number.isInteger(topK) || topK < 0) {
      throw new RangeError(`topK must be an integer >= 0, got ${topK}`);
    }
    if (!Number.isInteger(minTokensToKeep) || minTokensToKeep < 1) {
      throw new RangeError(`minTokensToKeep must be an integer >= 1, got ${minTokensToKeep}`);
    }
    this.k = topK === 0 ? 0 : Math.max(topK, minTokensToKeep);
  }

  process(logits: Float32Array): void {
    const k = Math.min(this.k, logits.length);
    if (k === 0 || k === logits.length) return;
    this.scratch = ensureCapacity(this.scratch, logits.length);
    const threshold = kthLargest(logits, k, this.scratch);
    for (let i = 0; i < logits.length; i++) {
      if (logits[i] < threshold) logits[i] = -Infinity;
    }
  }
}
