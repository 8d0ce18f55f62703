import type { Rng } from '../random/rng';
import { maxOf } from './softmax';

/**
 * Draws token ids from rows of logits by inverse CDF: one uniform draw per position, two passes
 * over the row (normaliser, then the walk), no allocation per draw. Logits should already have been
 * processed (temperature, top-k, …); `-Infinity` entries are never drawn.
 */
export class CategoricalSampler {
  /** Scratch for one row's unnormalised probabilities (grown to the widest row seen). */
  private weights = new Float64Array(0);

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
    // One exp per entry: the weights go to a scratch row the walk then reads.
    if (this.weights.length < length) this.weights = new Float64Array(length);
    const weights = this.weights;
    let total = 0;
    for (let i = 0; i < length; i++) total += weights[i] = Math.exp(logits[offset + i] - max);
    const target = u * total;
    let cumulative = 0;
    let last = 0;
    for (let i = 0; i < length; i++) {
      if (weights[i] === 0) continue;
      cumulative += weights[i];
      last = i;
      if (cumulative > target) return i;
    }
    return last;
  }
}
