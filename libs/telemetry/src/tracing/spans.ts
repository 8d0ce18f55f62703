import {
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';

/** Instrumentation scope of every nextx span. */
export const TRACER_NAME = 'nextx';

/**
 * The nextx tracer. Looked up at each use rather than kept: a process that stops and starts
 * tracing again (tests) gets spans from the provider registered now.
 */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Marks `span` failed by `error`: the exception as an event, status ERROR with its message. */
export function failSpan(span: Span, error: unknown): void {
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
}

/** Whether `error` is a cancellation, not a failure: an abort, or any error once `signal` aborted. */
function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof Error && error.name === 'AbortError');
}

/** Settings of {@link inSpan}. */
export interface InSpanOptions extends SpanOptions {
  /** A throw after this signal aborted ends the span as cancelled (event `cancelled`), not failed. */
  readonly signal?: AbortSignal;
}

/**
 * Runs `work` inside a new span, active for everything `work` awaits (child spans, log lines),
 * and ends it: failed by a throw ({@link failSpan}), or marked cancelled when the throw is a
 * cancellation.
 */
export function inSpan<T>(
  name: string,
  options: InSpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const { signal, ...spanOptions } = options;
  return tracer().startActiveSpan(name, spanOptions, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      if (isAbort(error, signal)) span.addEvent('cancelled', reasonOf(error, signal));
      else failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

function reasonOf(error: unknown, signal: AbortSignal | undefined): Attributes {
  const reason: unknown = signal?.aborted ? signal.reason : error;
  return { 'nextx.cancel.reason': reason instanceof Error ? reason.message : String(reason) };
}
