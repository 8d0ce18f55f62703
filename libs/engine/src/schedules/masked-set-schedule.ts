import { InvalidArgumentError } from '../errors/invalid-argument';
import type { Rng } from '../random/rng';
import { checkPositiveInteger, checkStepIndex, type Schedule, type StepPlan } from './schedule';

/** A step of {@link MaskedSetSchedule}. */
export interface MaskedStepPlan extends StepPlan {
  /** Tokens still masked when the step starts. */
  readonly maskedBefore: number;
  /**
   * MAR's `mask_len` of this step, max(1, min(masked − 1, ⌊L·cos(π/2·(k+1)/K)⌋)): the tokens
   * left masked for the next step (1 at the last step, where all remaining are predicted).
   */
  readonly maskLen: number;
  /** (L − maskLen)/L, the progress used by MAR's linear CFG ramp 1 + (cfg − 1)·ratio. */
  readonly cfgRatio: number;
}

/** Options of {@link MaskedSetSchedule}. */
export interface MaskedSetScheduleOptions {
  /** Tokens L (MAR: 256). */
  readonly seqLen: number;
  /** Iterations K (MAR: 64, eval 256), at most L so that every step predicts a token. */
  readonly numIter: number;
  /** Draws the random order (MAR `sample_orders`). */
  readonly rng: Rng;
}

/**
 * MAR's masked-set order (`sample_tokens`): a random permutation fixed up front; at step k the
 * tokens kept masked are the first `maskLen` of the order, so the step predicts
 * order[maskLen_k, maskLen_{k−1}) — and the last step everything still masked. The encoder
 * re-reads the whole canvas each step (no cache), hence `bidirectional` over all L entries.
 */
export class MaskedSetSchedule implements Schedule<MaskedStepPlan> {
  readonly name = 'masked-set';
  readonly totalSteps: number;
  readonly totalTokens: number;
  /** The random generation order, a permutation of [0, L). */
  readonly order: Int32Array;
  private readonly maskLens: Int32Array;

  constructor(options: MaskedSetScheduleOptions) {
    const { seqLen, numIter, rng } = options;
    checkPositiveInteger('seq_len', seqLen);
    checkPositiveInteger('num_iter', numIter);
    if (numIter > seqLen) {
      // More iterations than tokens would leave steps that predict nothing.
      throw new InvalidArgumentError('num_iter', `<= seq_len ${seqLen}`, `got ${numIter}`);
    }
    this.totalSteps = numIter;
    this.totalTokens = seqLen;
    const order = new Int32Array(seqLen);
    for (let i = 0; i < seqLen; i++) order[i] = i;
    // Fisher–Yates, so a seed fixes the order (np.random.shuffle in MAR).
    for (let i = seqLen - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    this.order = order;
    this.maskLens = new Int32Array(numIter + 1);
    this.maskLens[0] = seqLen;
    for (let k = 0; k < numIter; k++) {
      const ratio = Math.cos(((Math.PI / 2) * (k + 1)) / numIter);
      this.maskLens[k + 1] = Math.max(
        1,
        Math.min(this.maskLens[k] - 1, Math.floor(seqLen * ratio)),
      );
    }
  }

  stepAt(i: number): MaskedStepPlan {
    checkStepIndex(this, i);
    const maskedBefore = this.maskLens[i];
    const maskLen = this.maskLens[i + 1];
    const last = i === this.totalSteps - 1;
    return {
      index: i,
      positions: this.order.slice(last ? 0 : maskLen, maskedBefore),
      commits: true,
      attention: 'bidirectional',
      inputStart: 0,
      inputLength: this.totalTokens,
      maskedBefore,
      maskLen,
      cfgRatio: (this.totalTokens - maskLen) / this.totalTokens,
    };
  }
}
