import { context, propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { currentRequestId, REQUEST_ID_KEY, requestIdOf } from '../context/request-context';

/** Text headers of a message (Kafka headers read as strings, gRPC metadata, …). */
export type TextHeaders = Readonly<Record<string, string | undefined>>;

/**
 * The headers that carry the current call across a process boundary: W3C `traceparent` (and
 * `tracestate`) of the active span when tracing is on, and `x-request-id` when a request id is
 * current. Empty when neither is.
 */
export function correlationHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  const requestId = currentRequestId();
  if (requestId) headers[REQUEST_ID_KEY] = requestId;
  return headers;
}

/** What {@link correlationFrom} reads back from a message's headers. */
export interface Correlation {
  /** The sender's span as the remote parent (the root context when there was none or tracing is off). */
  readonly context: Context;
  /** The sender's request id (a new one when it sent none or a malformed one). */
  readonly requestId: string;
}

/** The trace context and request id of a message sent with {@link correlationHeaders}. */
export function correlationFrom(headers: TextHeaders): Correlation {
  return {
    context: propagation.extract(ROOT_CONTEXT, headers, {
      keys: (carrier) => Object.keys(carrier),
      get: (carrier, key) => carrier[key],
    }),
    requestId: requestIdOf(headers[REQUEST_ID_KEY]),
  };
}
