import type { LogitsProcessor } from './logits-processor';

/** Masks a fixed set of token ids at every step (HF `SuppressTokensLogitsProcessor`). */
export class SuppressTokensLogitsProcessor implements LogitsProcessor {
  private readonly ids: Int32Array;

  /** @param tokenIds ids to mask; ids outside the vocabulary are ignored */
  constructor(tokenIds: Iterable<number>) {
    this.ids = Int32Array.from(tokenIds);
    for (const id of this.ids) {
      if (id < 0) throw new RangeError(`token ids must be >= 0, got ${id}`);
    }
  }

  process(logits: Float32Array): void {
    for (const id of this.ids) {
      if (id < logits.length) logits[id] = -Infinity;
    }
  }
}
