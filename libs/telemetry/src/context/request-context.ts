import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { isSpanContextValid, trace } from '@opentelemetry/api';

/** Metadata key (gRPC) and header (Kafka) of the request id. */
export const REQUEST_ID_KEY = 'x-request-id';

/**
 * What a request id a client sends may look like. The id lands in every log line of the call, so
 * it is bounded and plain: no spaces, quotes or control characters to break a log pipeline.
 */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The request id a client sent when it is well formed (see {@link REQUEST_ID}), else a new UUID. */
export function requestIdOf(sent: unknown): string {
  return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
}

const requests = new AsyncLocalStorage<string>();

/** Runs `work` with `requestId` as the current request id (it follows every await inside). */
export function withRequestId<T>(requestId: string, work: () => T): T {
  return requests.run(requestId, work);
}

/** The request id of the call or job being handled here, if any. */
export function currentRequestId(): string | undefined {
  return requests.getStore();
}

/** The fields that tie a log line to its call and trace (snake_case, as log pipelines index them). */
export interface LogCorrelation {
  request_id?: string;
  trace_id?: string;
  span_id?: string;
}

/**
 * The current request id and, when tracing is on, the active span's trace and span ids: what
 * the JSON logger adds to every line. With tracing off there is no active span and this is one
 * AsyncLocalStorage read.
 */
export function logCorrelation(): LogCorrelation {
  const fields: LogCorrelation = {};
  const requestId = requests.getStore();
  if (requestId) fields.request_id = requestId;
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    fields.trace_id = span.traceId;
    fields.span_id = span.spanId;
  }
  return fields;
}
