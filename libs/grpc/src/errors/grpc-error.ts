import { Metadata, status } from '@grpc/grpc-js';
import { InvalidArgumentError, NotFoundError, ResourceExhaustedError } from '@nextx/engine';
import type { common } from '@nextx/proto';

/** Metadata key carrying an `nextx.common.v1.ErrorDetail` as proto3 JSON. */
export const ERROR_DETAIL_KEY = 'nextx-error-detail';

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

function withDetail(code: status, message: string, detail: common.ErrorDetail): GrpcError {
  const metadata = new Metadata();
  // ASCII metadata values only: escape anything else (e.g. "×" in "32×32") as JSON \u sequences.
  const ascii = JSON.stringify(detail).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  metadata.set(ERROR_DETAIL_KEY, ascii);
  return { code, details: message, message, metadata };
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
 * field; unknown errors become INTERNAL without leaking internals (they are logged instead).
 */
export function toGrpcError(error: unknown): GrpcError {
  if (error instanceof InvalidArgumentError) {
    return withDetail(status.INVALID_ARGUMENT, error.message, {
      field: error.field,
      limit: error.limit,
      message: error.detail,
    });
  }
  if (error instanceof ResourceExhaustedError) {
    return withDetail(status.RESOURCE_EXHAUSTED, error.message, {
      field: error.resource,
      limit: error.limit,
      message: error.message,
    });
  }
  if (error instanceof NotFoundError) {
    return { code: status.NOT_FOUND, details: error.message, message: error.message };
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: status.CANCELLED, details: 'cancelled', message: 'cancelled' };
  }
  if (isGrpcStatusLike(error)) {
    const message = error.details ?? error.message ?? status[error.code];
    return { code: error.code, details: message, message };
  }
  return { code: status.INTERNAL, details: 'internal error', message: 'internal error' };
}
