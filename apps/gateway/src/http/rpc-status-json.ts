import { fromBinary, toJson, type JsonObject } from '@bufbuild/protobuf';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ERROR_DOMAIN, STATUS_DETAILS_KEY } from '@nextx/grpc';
import { descriptorRegistry } from '../transcoding/descriptor-registry';

const TYPE_PREFIX = 'type.googleapis.com/google.rpc.';

/** A `google.rpc.Status` as proto3 JSON: what every error response body is. */
export interface RpcStatusJson extends JsonObject {
  code: number;
  message: string;
  details: JsonObject[];
}

/**
 * The `google.rpc.Status` a backend attached to a failed call (its `grpc-status-details-bin`
 * trailer), as proto3 JSON with each detail's `@type`; a bare status when it attached none.
 */
export function statusJsonOfGrpcError(error: Partial<ServiceError>): RpcStatusJson {
  const code = typeof error.code === 'number' ? error.code : status.UNKNOWN;
  const message = error.details ?? error.message ?? 'backend call failed';
  const raw =
    error.metadata instanceof Metadata ? error.metadata.get(STATUS_DETAILS_KEY)[0] : undefined;
  if (raw instanceof Buffer) {
    const registry = descriptorRegistry();
    const schema = registry.getMessage('google.rpc.Status')!;
    try {
      const json = toJson(schema, fromBinary(schema, raw), { registry }) as JsonObject;
      return {
        code,
        message: typeof json['message'] === 'string' ? json['message'] : message,
        details: Array.isArray(json['details']) ? (json['details'] as JsonObject[]) : [],
      };
    } catch {
      // A detail of a type the gateway does not know: the code and message still go through.
    }
  }
  return { code, message, details: [] };
}

/** A status the gateway itself answers with (the request never reached a backend). */
export function gatewayStatus(
  code: status,
  message: string,
  detail: {
    fieldViolations?: { field: string; description: string }[];
    reason?: string;
    retryDelaySeconds?: number;
  } = {},
): RpcStatusJson {
  const details: JsonObject[] = [];
  if (detail.fieldViolations)
    details.push({ '@type': `${TYPE_PREFIX}BadRequest`, fieldViolations: detail.fieldViolations });
  if (detail.reason)
    details.push({
      '@type': `${TYPE_PREFIX}ErrorInfo`,
      reason: detail.reason,
      domain: ERROR_DOMAIN,
    });
  if (detail.retryDelaySeconds !== undefined)
    details.push({
      '@type': `${TYPE_PREFIX}RetryInfo`,
      retryDelay: `${detail.retryDelaySeconds}s`,
    });
  return { code, message, details };
}

/**
 * Seconds a client should wait before retrying, from a RetryInfo detail (a proto3 JSON Duration
 * such as "1.500s", rounded up); undefined when there is none.
 */
export function retryAfterSeconds(body: RpcStatusJson): number | undefined {
  const info = body.details.find((d) => d['@type'] === `${TYPE_PREFIX}RetryInfo`);
  const delay = info?.['retryDelay'];
  if (typeof delay !== 'string') return undefined;
  const seconds = Number(delay.replace(/s$/, ''));
  return Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : undefined;
}
