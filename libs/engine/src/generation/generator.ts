/** A progress event of a running generation. */
export interface ProgressEvent {
  readonly type: 'progress';
  /** Steps finished. */
  readonly step: number;
  readonly total: number;
  /** What a step produces: "token", "scale", "block", … */
  readonly stage: string;
  /** Optional preview of the partial result (e.g. VAR's image after each scale), method-defined. */
  readonly preview?: unknown;
}

/** The final event, carrying the result. */
export interface ResultEvent<R> {
  readonly type: 'result';
  readonly result: R;
}

export type GenerationEvent<R> = ProgressEvent | ResultEvent<R>;

/** What every generation takes besides its method-specific request. */
export interface GenerationOptions {
  /** Same seed ⇒ same output. */
  readonly seed: number;
  /** Stops the loop at the next step boundary. */
  readonly signal?: AbortSignal;
}

/**
 * Composes schedule, backbone, head, guidance and decoder into one loop, streamed as progress
 * events that end with the result.
 */
export interface Generator<Request, Result> {
  generate(request: Request, options: GenerationOptions): AsyncIterable<GenerationEvent<Result>>;
}

/** The error a generation ends with when its signal fires. */
export class GenerationAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor(readonly step: number) {
    super(`generation aborted after step ${step}`);
  }
}

/** Throws {@link GenerationAbortedError} when the signal has fired: called at every step boundary. */
export function throwIfAborted(signal: AbortSignal | undefined, step: number): void {
  if (signal?.aborted) throw new GenerationAbortedError(step);
}

/** Drains a generation, returning its result (and collecting progress events if asked). */
export async function runToResult<R>(
  events: AsyncIterable<GenerationEvent<R>>,
  onProgress?: (e: ProgressEvent) => void,
): Promise<R> {
  for await (const event of events) {
    if (event.type === 'result') return event.result;
    onProgress?.(event);
  }
  throw new Error('generation ended without a result');
}
