/**
 * Backbone of token-based methods: one forward over new positions of every sequence in the
 * batch, with the KV cache owned by the implementation (preallocated, advanced in place).
 * Knows nothing about sampling.
 */
export interface TokenStepModel {
  /** Size of the output distribution. */
  readonly vocabSize: number;
  /** Longest sequence (cache capacity). */
  readonly maxLength: number;
  /** Positions already in the cache. */
  readonly length: number;
  /** Rows in the current batch. */
  readonly batch: number;
  /** Starts `batch` empty sequences. */
  reset(batch: number): void;
  /**
   * Feeds `tokens` (row-major [batch, newLength]) after the cached positions and returns the
   * logits [batch, newLength, vocab]. The returned array is reused by the next call.
   */
  forward(tokens: Int32Array, newLength: number): Promise<Float32Array>;
  /** Keeps only the first `length` cached positions (speculative decoding rolls back rejected drafts). */
  truncate(length: number): void;
  /** The generation is done with the model (a fused batch frees its rows). */
  release(): void;
}
