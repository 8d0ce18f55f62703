/** `google.rpc.ErrorInfo.domain` of every error the nextx services raise. */
export const ERROR_DOMAIN = 'nextx';

/**
 * `google.rpc.ErrorInfo.reason` values. Several failures share a gRPC code (RESOURCE_EXHAUSTED
 * is both a full queue and a request over the size limit), so clients branch on these instead:
 * retrying helps for QUEUE_FULL, never for MESSAGE_TOO_LARGE.
 */
export const ErrorReason = {
  /** A request field broke a limit; the BadRequest detail names the field. */
  INVALID_FIELD: 'INVALID_FIELD',
  /** The generation queue (or another bounded resource) is full; see RetryInfo. */
  QUEUE_FULL: 'QUEUE_FULL',
  /** The request message is larger than the server's MAX_MESSAGE_BYTES. */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** A named model, version or job does not exist; see ResourceInfo. */
  NOT_FOUND: 'NOT_FOUND',
  /** The call carried no `authorization: Bearer <key>` metadata (UNAUTHENTICATED). */
  API_KEY_MISSING: 'API_KEY_MISSING',
  /** The call's API key is not one the server accepts (UNAUTHENTICATED). */
  API_KEY_INVALID: 'API_KEY_INVALID',
  /**
   * The call's API key is known but may not call this method (PERMISSION_DENIED); the
   * ErrorInfo's `method` metadata names the method.
   */
  API_KEY_METHOD_DENIED: 'API_KEY_METHOD_DENIED',
} as const;

/** One of {@link ErrorReason}. */
export type ErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];
