import { Metadata, ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import { apiKeyDigest, methodMatcher, type ApiKey } from '@nextx/config';
import { timingSafeEqual } from 'node:crypto';
import { ERROR_DOMAIN, ErrorReason } from '../errors/error-reason';
import { grpcErrorWithDetails } from '../errors/grpc-error';

/** Metadata key of the credentials: `authorization: Bearer <key>`. */
export const AUTHORIZATION_KEY = 'authorization';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Method path prefix of grpc.health.v1, which probes call without a key when health is open. */
const HEALTH_PREFIX = '/grpc.health.v1.Health/';

/** Settings of {@link apiKeyInterceptor}. */
export interface ApiKeyAuthOptions {
  /** The accepted keys and the methods each may call (`loadServerSecurity`); at least one. */
  readonly keys: readonly ApiKey[];
  /** `open`: grpc.health.v1 needs no key; `closed`: it does. */
  readonly healthAuth: 'open' | 'closed';
}

/**
 * The accepted key that `header` (`Bearer <key>`) carries, or undefined. Every digest is
 * compared, each with `timingSafeEqual` on equal-length SHA-256 digests, so the time taken says
 * nothing about which key, or how much of one, matched.
 */
export function bearerKey<K extends Pick<ApiKey, 'digest'>>(
  header: unknown,
  keys: readonly K[],
): K | undefined {
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  const candidate = apiKeyDigest(match?.[1] ?? '');
  let found: K | undefined;
  for (const key of keys) if (timingSafeEqual(key.digest, candidate)) found = key;
  return match ? found : undefined;
}

/** True when `header` is `Bearer <key>` for an accepted key (whatever methods it may call). */
export function acceptsBearer(header: unknown, keys: readonly Pick<ApiKey, 'digest'>[]): boolean {
  return bearerKey(header, keys) !== undefined;
}

function refusal(code: status, message: string, reason: ErrorReason, method?: string) {
  const error = grpcErrorWithDetails(code, message, {
    errorInfo: { reason, domain: ERROR_DOMAIN, metadata: method ? { method } : {} },
  });
  return { code: error.code, details: error.details, metadata: error.metadata ?? new Metadata() };
}

function unauthenticated(missing: boolean) {
  return missing
    ? refusal(
        status.UNAUTHENTICATED,
        'missing API key: send metadata "authorization: Bearer <key>"',
        ErrorReason.API_KEY_MISSING,
      )
    : refusal(status.UNAUTHENTICATED, 'invalid API key', ErrorReason.API_KEY_INVALID);
}

/** A known key calling a method outside its list; the list itself is not told. */
function permissionDenied(method: string) {
  return refusal(
    status.PERMISSION_DENIED,
    `this API key may not call ${method}`,
    ErrorReason.API_KEY_METHOD_DENIED,
    method,
  );
}

/**
 * Server interceptor that ends every call without an accepted API key with UNAUTHENTICATED, and
 * a call with a known key to a method outside the key's list with PERMISSION_DENIED, before any
 * message reaches a handler. grpc-js runs server interceptors for every method the server has,
 * so it covers unary and streaming RPCs, reflection, and health when it is closed.
 */
export function apiKeyInterceptor(options: ApiKeyAuthOptions): ServerInterceptor {
  if (!options.keys.length) throw new Error('apiKeyInterceptor needs at least one key');
  const keys = options.keys.map((key) => ({
    digest: key.digest,
    allows: methodMatcher(key.methods),
  }));
  return (method, call) => {
    if (options.healthAuth === 'open' && method.path.startsWith(HEALTH_PREFIX))
      return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const header = metadata.get(AUTHORIZATION_KEY)[0];
            const key = bearerKey(header, keys);
            if (!key) call.sendStatus(unauthenticated(header === undefined));
            else if (!key.allows(method.path)) call.sendStatus(permissionDenied(method.path));
            else pass(metadata);
          },
        }),
    });
  };
}
