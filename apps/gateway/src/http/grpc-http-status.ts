import { status } from '@grpc/grpc-js';

/**
 * The HTTP status of a gRPC status code, as grpc-gateway maps them (runtime.HTTPStatusFromCode),
 * so clients that know one gateway know this one.
 */
export function httpStatusOf(code: number): number {
  switch (code) {
    case status.OK:
      return 200;
    case status.CANCELLED:
      return 499;
    case status.INVALID_ARGUMENT:
    case status.FAILED_PRECONDITION:
    case status.OUT_OF_RANGE:
      return 400;
    case status.DEADLINE_EXCEEDED:
      return 504;
    case status.NOT_FOUND:
      return 404;
    case status.ALREADY_EXISTS:
    case status.ABORTED:
      return 409;
    case status.PERMISSION_DENIED:
      return 403;
    case status.UNAUTHENTICATED:
      return 401;
    case status.RESOURCE_EXHAUSTED:
      return 429;
    case status.UNIMPLEMENTED:
      return 501;
    case status.UNAVAILABLE:
      return 503;
    default:
      // UNKNOWN, INTERNAL, DATA_LOSS and anything unrecognised.
      return 500;
  }
}
