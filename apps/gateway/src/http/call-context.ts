import { Metadata } from '@grpc/grpc-js';
import { correlationHeaders } from '@nextx/telemetry';

/** gRPC's timeout units (the `grpc-timeout` header grpc-gateway also reads), in ms. */
const UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/;

/**
 * The deadline of a backend call: the client's `Grpc-Timeout` (e.g. `30S`, `500m`) when it asks
 * for one no longer than the gateway's own timeout, otherwise the gateway's timeout.
 *
 * @returns the deadline, or a problem text for a malformed header
 */
export function deadlineOf(
  header: unknown,
  maxMs: number,
  now = Date.now(),
): { deadline: number } | { problem: string } {
  if (header === undefined) return { deadline: now + maxMs };
  const match = typeof header === 'string' ? GRPC_TIMEOUT.exec(header) : null;
  if (!match) return { problem: 'expected digits and a unit H, M, S, m, u or n (e.g. 30S)' };
  const ms = Number(match[1]) * UNITS[match[2]];
  return { deadline: now + Math.min(maxMs, Math.max(1, ms)) };
}

/** A W3C traceparent (version-traceid-spanid-flags); anything else is not passed on. */
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;
/** The W3C limit of a tracestate header. */
const MAX_TRACESTATE_CHARS = 512;

/**
 * The metadata a backend call carries: the request id and `traceparent` of the current call
 * (`correlationHeaders`, so the backend's logs and spans join the gateway's), and the caller's
 * Authorization when the gateway forwards it. With tracing off the gateway has no span of its
 * own, and passes the caller's trace context through unchanged, so the trace is not cut here.
 */
export function backendMetadata(
  authorization: string | undefined,
  incoming: { traceparent?: string; tracestate?: string } = {},
): Metadata {
  const metadata = new Metadata();
  const headers = correlationHeaders();
  if (!headers['traceparent'] && incoming.traceparent && TRACEPARENT.test(incoming.traceparent)) {
    headers['traceparent'] = incoming.traceparent;
    if (incoming.tracestate && incoming.tracestate.length <= MAX_TRACESTATE_CHARS)
      headers['tracestate'] = incoming.tracestate;
  }
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  if (authorization) metadata.set('authorization', authorization);
  return metadata;
}
