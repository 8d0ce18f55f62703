import type { Metadata, status } from '@grpc/grpc-js';
import { rpcDetails, rpcStatus } from '@nextx/proto';

/** Trailer that carries a binary `google.rpc.Status` with its details (the gRPC convention). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/** The standard error details nextx attaches, at most one of each kind. */
export interface StatusDetails {
  /** Field violations of an INVALID_ARGUMENT. */
  readonly badRequest?: rpcDetails.BadRequest;
  /** Why the call failed, as a machine-readable reason in the "nextx" domain. */
  readonly errorInfo?: rpcDetails.ErrorInfo;
  /** When to retry (a full queue). */
  readonly retryInfo?: rpcDetails.RetryInfo;
  /** Which resource was not found. */
  readonly resourceInfo?: rpcDetails.ResourceInfo;
}

/** A decoded `google.rpc.Status`. */
export interface DecodedStatus extends StatusDetails {
  readonly code: number;
  readonly message: string;
}

const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** `Any.type_url` of each detail kind. */
const TYPE_URLS = {
  badRequest: `${TYPE_URL_PREFIX}google.rpc.BadRequest`,
  errorInfo: `${TYPE_URL_PREFIX}google.rpc.ErrorInfo`,
  retryInfo: `${TYPE_URL_PREFIX}google.rpc.RetryInfo`,
  resourceInfo: `${TYPE_URL_PREFIX}google.rpc.ResourceInfo`,
} as const satisfies Record<keyof StatusDetails, string>;

/** Encodes a `google.rpc.Status` with `details` packed as `Any`s, for {@link STATUS_DETAILS_KEY}. */
export function encodeStatusDetails(code: status, message: string, details: StatusDetails): Buffer {
  const { badRequest, errorInfo, retryInfo, resourceInfo } = details;
  const packed = [
    badRequest && {
      typeUrl: TYPE_URLS.badRequest,
      value: rpcDetails.BadRequest.encode(badRequest),
    },
    errorInfo && { typeUrl: TYPE_URLS.errorInfo, value: rpcDetails.ErrorInfo.encode(errorInfo) },
    retryInfo && { typeUrl: TYPE_URLS.retryInfo, value: rpcDetails.RetryInfo.encode(retryInfo) },
    resourceInfo && {
      typeUrl: TYPE_URLS.resourceInfo,
      value: rpcDetails.ResourceInfo.encode(resourceInfo),
    },
  ].flatMap((any) => (any ? [{ typeUrl: any.typeUrl, value: any.value.finish() }] : []));
  return Buffer.from(rpcStatus.Status.encode({ code, message, details: packed }).finish());
}

/**
 * Reads the `google.rpc.Status` a server attached to a failed call (from the error's metadata);
 * undefined when there is none. Detail types other than those of {@link StatusDetails} are skipped.
 */
export function readStatusDetails(error: { metadata?: Metadata }): DecodedStatus | undefined {
  const raw = error.metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!(raw instanceof Buffer)) return undefined;
  const decoded = rpcStatus.Status.decode(raw);
  const details: { -readonly [K in keyof StatusDetails]: StatusDetails[K] } = {};
  for (const { typeUrl, value } of decoded.details) {
    if (typeUrl === TYPE_URLS.badRequest) details.badRequest = rpcDetails.BadRequest.decode(value);
    else if (typeUrl === TYPE_URLS.errorInfo)
      details.errorInfo = rpcDetails.ErrorInfo.decode(value);
    else if (typeUrl === TYPE_URLS.retryInfo)
      details.retryInfo = rpcDetails.RetryInfo.decode(value);
    else if (typeUrl === TYPE_URLS.resourceInfo)
      details.resourceInfo = rpcDetails.ResourceInfo.decode(value);
  }
  return { code: decoded.code, message: decoded.message, ...details };
}
