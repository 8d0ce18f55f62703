import type { LogitsProcessor } from './logits-processor';

/** Ids up to 2^21 fit beside a 32-bit sort key in a float64's 53-bit mantissa. */
const INDEX_BITS = 2 ** 21;
const bitsView = new Float32Array(1);
const bitsOf = new Uint32Array(bitsView.buffer);

/**
 * Unsigned 32-bit key that orders like the float32 value: flip all bits of negatives, only the
 * sign bit of positives.
 */
function sortableBits(value: number): number {
  // + 0 turns -0 into +0 so the two compare equal, as they do for torch.
  bitsView[0] = value + 0;
  const bits = bitsOf[0];
  return bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

/**
 * Nucleus filtering exactly as Hugging Face `TopPLogitsWarper`: sort ascending, take the
 * cumulative softmax, mask every token whose cumulative probability is `<= 1 - topP`, and never
 * mask the `minTokensToKeep` largest. Equal logits keep their index order in the ascending sort,
 * as torch's stable sort does, so among ties at the boundary the lower ids are masked first.
 */
export class TopPLogitsWarper implements LogitsProcessor {
  private keys = new Float64Array(0);

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
    if (n > INDEX_BITS) {
      throw new RangeError(`vocabulary of ${n} exceeds the ${INDEX_BITS} ids top-p supports`);
    }
    if (this.keys.length < n) this.keys = new Float64Array(n);
    // Masked entries carry no mass and would be masked again, so only finite ones are sorted
    // (after top-k, k entries instead of the vocabulary). Each key packs (value, id) so a native
    // numeric sort, several times faster than a comparator, yields ascending values with ties in
    // id order.
    let finite = 0;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const l = logits[i];
      if (l === -Infinity) continue;
      this.keys[finite++] = sortableBits(l) * INDEX_BITS + i;
      if (l > max) max = l;
    }
    const removable = finite - this.minTokensToKeep;
    if (removable <= 0) return;
    const keys = this.keys.subarray(0, finite).sort();

    let total = 0;
    for (let r = 0; r < finite; r++) total += Math.exp(logits[keys[r] % INDEX_BITS] - max);
    // Comparing unnormalised mass against (1 - topP)·total avoids n divisions.
    const threshold = (1 - this.topP) * total;
    let cumulative = 0;
    for (let r = 0; r < removable; r++) {
      const index = keys[r] % INDEX_BITS;
      cumulative += Math.exp(logits[index] - max);
      if (cumulative > threshold) break;
      logits[index] = -Infinity;
    }
  }
}
