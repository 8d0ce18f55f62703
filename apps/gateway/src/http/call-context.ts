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

/**
 * The metadata a backend call carries: the request id and `traceparent` of the current call
 * (`correlationHeaders`, so the backend's logs and spans join the gateway's), and the caller's
 * Authorization when the gateway forwards it.
 */
export function backendMetadata(authorization: string | undefined): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(correlationHeaders())) metadata.set(key, value);
  if (authorization) metadata.set('authorization', authorization);
  return metadata;
}
