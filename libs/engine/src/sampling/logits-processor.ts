/** What a {@link LogitsProcessor} may know about the sequence being generated. */
export interface LogitsContext {
  /** Zero-based index of the position being sampled. */
  readonly step: number;
  /** Tokens generated so far (conditioning tokens excluded). */
  readonly generated: ArrayLike<number>;
}

/**
 * One transformation of a row of logits over the vocabulary, applied in place. Masked entries
 * become `-Infinity`; processors never renormalise, so they compose in any order the caller picks.
 */
export interface LogitsProcessor {
  /**
   * Transforms `logits` in place.
   * @param logits one row of unnormalised log-probabilities, length = vocabulary size
   * @param context the position being sampled
   */
  process(logits: Float32Array, context: LogitsContext): void;
}

/**
 * Applies several processors in order (transformers.js `LogitsProcessorList`). An empty list
 * leaves the logits untouched.
 */
export class LogitsProcessorList implements LogitsProcessor {
  private readonly processors: LogitsProcessor[];

  /** @param processors applied first to last */
  constructor(processors: Iterable<LogitsProcessor> = []) {
    this.processors = [...processors];
  }

  /** Appends a processor to the end of the chain. */
  push(processor: LogitsProcessor): this {
    this.processors.push(processor);
    return this;
  }

  /** Number of processors in the chain. */
  get length(): number {
    return this.processors.length;
  }

  /** The processors in application order. */
  [Symbol.iterator](): Iterator<LogitsProcessor> {
    return this.processors[Symbol.iterator]();
  }

  process(logits: Float32Array, context: LogitsContext): void {
    for (const processor of this.processors) {
      processor.process(logits, context);
    }
  }
}
