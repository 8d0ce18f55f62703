import type { Rng } from '../random/rng';
import { maxOf } from './softmax';

/**
 * Draws token ids from rows of logits by inverse CDF: one uniform draw per position, two passes
 * over the row (normaliser, then the walk), no allocation. Logits should already have been
 * processed (temperature, top-k, …); `-Infinity` entries are never drawn.
 */
export class CategoricalSampler {
  /**
   * Samples one id from `softmax(logits)`.
   * @throws RangeError when every logit is `-Infinity`
   */
  sample(logits: Float32Array, rng: Rng): number {
    return this.sampleRange(logits, 0, logits.length, rng.uniform());
  }

  /**
   * Samples an index with probability proportional to non-negative `weights` (probabilities need
   * not sum to 1). Used for speculative decoding's residual distributions.
   * @throws RangeError when all weights are 0
   */
  sampleWeights(weights: ArrayLike<number>, rng: Rng): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    if (!(total > 0)) {
      throw new RangeError('weights sum to 0');
    }
    const target = rng.uniform() * total;
    let cumulative = 0;
    let last = 0;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] <= 0) continue;
      cumulative += weights[i];
      last = i;
      if (cumulative > target) return i;
    }
    // Rounding can leave the running sum a hair below the target; the last positive entry owns that gap.
    return last;
  }

  private sampleRange(logits: Float32Array, offset: number, length: number, u: number): number {
    const max = maxOf(logits, offset, length);
    if (max === -Infinity) {
      throw new RangeError('every logit is -Infinity');
    }
    const end = offset + length;
    let total = 0;
    for (let i = offset; i < end; i++) total += Math.exp(logits[i] - max);
    const target = u * total;
    let cumulative = 0;
    let last = offset;
    for (let i = offset; i < end; i++) {
      if (logits[i] === -Infinity) continue;
      cumulative += Math.exp(logits[i] - max);
      last = i;
      if (cumulative > target) return i - offset;
    }
    return last - offset;
  }
}
