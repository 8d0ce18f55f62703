import { Metadata, status } from '@grpc/grpc-js';
import { InvalidArgumentError, NotFoundError, ResourceExhaustedError } from '@nextx/engine';
import type { common } from '@nextx/proto';
import { ERROR_DOMAIN, ErrorReason } from './error-reason';
import { encodeStatusDetails, STATUS_DETAILS_KEY, type StatusDetails } from './status-details';

/** Metadata key carrying an `nextx.common.v1.ErrorDetail` as proto3 JSON. */
export const ERROR_DETAIL_KEY = 'nextx-error-detail';

/** Longest piece of a client-supplied name echoed back in error details. */
const ECHO_CHARS = 64;

/**
 * Longest status message sent. The message and its copies in the details travel in HTTP/2
 * trailers: one too large for the peer's header limit leaves the call without a status and
 * stalls the connection, so whatever a handler put in a message is cut here.
 */
const MAX_MESSAGE_CHARS = 1024;

/** What grpc-js needs to end a call with a status. */
export interface GrpcError {
  readonly code: status;
  readonly details: string;
  readonly message: string;
  readonly metadata?: Metadata;
}

/** Error for a bad request field; thrown by validators, mapped to INVALID_ARGUMENT. */
export function invalidArgument(
  field: string,
  limit: string,
  detail: string,
): InvalidArgumentError {
  return new InvalidArgumentError(field, limit, detail);
}

/** At most {@link ECHO_CHARS} characters of a client-supplied string. */
function shortPrefix(value: string): string {
  return value.length > ECHO_CHARS ? `${value.slice(0, ECHO_CHARS)}…` : value;
}

/**
 * A gRPC error whose trailers carry the standard `google.rpc.Status` details and, when given,
 * the JSON {@link ERROR_DETAIL_KEY} convenience copy.
 */
export function grpcErrorWithDetails(
  code: status,
  message: string,
  details: StatusDetails,
  detail?: common.ErrorDetail,
): GrpcError {
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, encodeStatusDetails(code, message, details));
  if (detail) {
    // ASCII metadata values only: escape anything else (e.g. "×" in "32×32") as JSON \u sequences.
    const ascii = JSON.stringify(detail).replace(
      /[^\x20-\x7e]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    metadata.set(ERROR_DETAIL_KEY, ascii);
  }
  return { code, details: message, message, metadata };
}

/** At most {@link MAX_MESSAGE_CHARS} characters of a status message. */
function capMessage(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}

/** `ErrorInfo` in the nextx domain. */
function errorInfo(reason: ErrorReason, metadata: Record<string, string>) {
  return { reason, domain: ERROR_DOMAIN, metadata };
}

/** `RetryInfo` for a delay in milliseconds. */
function retryInfo(ms: number) {
  const seconds = Math.floor(ms / 1000);
  return { retryDelay: { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) } };
}

/** True for objects that already carry a gRPC status code (RpcException payloads, grpc-js errors). */
function isGrpcStatusLike(
  error: unknown,
): error is { code: status; message?: string; details?: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'number' &&
    (error as { code: number }).code in status
  );
}

/**
 * Maps anything a handler throws to a gRPC status. Known domain errors keep their message and
 * field and carry `google.rpc` details in `grpc-status-details-bin`: BadRequest for
 * INVALID_ARGUMENT, ErrorInfo QUEUE_FULL with RetryInfo for RESOURCE_EXHAUSTED, ResourceInfo for
 * NOT_FOUND. Unknown errors become INTERNAL without leaking internals (they are logged instead).
 */
export function toGrpcError(error: unknown): GrpcError {
  if (error instanceof InvalidArgumentError) {
    const field = shortPrefix(error.field);
    const limit = capMessage(error.limit);
    const detail = capMessage(error.detail);
    return grpcErrorWithDetails(
      status.INVALID_ARGUMENT,
      error.message.length > MAX_MESSAGE_CHARS
        ? `${field}: ${detail} (limit: ${limit})`
        : error.message,
      {
        badRequest: {
          fieldViolations: [
            {
              field,
              description: `${detail} (limit: ${limit})`,
              reason: ErrorReason.INVALID_FIELD,
            },
          ],
        },
        errorInfo: errorInfo(ErrorReason.INVALID_FIELD, { field, limit }),
      },
      { field, limit, message: detail },
    );
  }
  if (error instanceof ResourceExhaustedError) {
    return grpcErrorWithDetails(
      status.RESOURCE_EXHAUSTED,
      capMessage(error.message),
      {
        errorInfo: errorInfo(ErrorReason.QUEUE_FULL, {
          resource: error.resource,
          limit: error.limit,
        }),
        ...(error.retryAfterMs === undefined ? {} : { retryInfo: retryInfo(error.retryAfterMs) }),
      },
      { field: error.resource, limit: error.limit, message: capMessage(error.message) },
    );
  }
  if (error instanceof NotFoundError) {
    const name = shortPrefix(error.key);
    return grpcErrorWithDetails(status.NOT_FOUND, capMessage(error.message), {
      resourceInfo: {
        resourceType: error.kind,
        resourceName: name,
        owner: '',
        description: `no ${error.kind} of this name`,
      },
      errorInfo: errorInfo(ErrorReason.NOT_FOUND, { resource_type: error.kind }),
    });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: status.CANCELLED, details: 'cancelled', message: 'cancelled' };
  }
  if (isGrpcStatusLike(error)) {
    const message = capMessage(error.details ?? error.message ?? status[error.code]);
    return { code: error.code, details: message, message };
  }
  return { code: status.INTERNAL, details: 'internal error', message: 'internal error' };
}
