import type { LogitsContext, LogitsProcessor } from './logits-processor';

/**
 * Forces chosen tokens at chosen steps (HF `ForceTokensLogitsProcessor`): every other logit becomes
 * `-Infinity` and the forced one 0, so any later warper and the sampler can only pick it. Used for
 * fixed prefixes such as NBP's middle-BOS ids or a codec's start tokens.
 */
export class ForceTokenLogitsProcessor implements LogitsProcessor {
  private readonly forced: ReadonlyMap<number, number>;

  /** @param forced step → token id, as a map or `[step, token]` pairs */
  constructor(forced: ReadonlyMap<number, number> | Iterable<readonly [number, number]>) {
    this.forced = new Map(forced);
    for (const [step, token] of this.forced) {
      if (!Number.isInteger(step) || step < 0 || !Number.isInteger(token) || token < 0) {
        throw new RangeError(
          `forced tokens need integer step and token >= 0, got [${step}, ${token}]`,
        );
      }
    }
  }

  process(logits: Float32Array, context: LogitsContext): void {
    const token = this.forced.get(context.step);
    if (token === undefined) return;
    if (token >= logits.length) {
      throw new RangeError(
        `forced token ${token} at step ${context.step} is outside the vocabulary (${logits.length})`,
      );
    }
    logits.fill(-Infinity);
    logits[token] = 0;
  }
}
