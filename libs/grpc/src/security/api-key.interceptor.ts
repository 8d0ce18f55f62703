import { Metadata, ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import { apiKeyDigest } from '@nextx/config';
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
  /** SHA-256 digests of the accepted keys (`apiKeyDigest`); at least one. */
  readonly digests: readonly Buffer[];
  /** `open`: grpc.health.v1 needs no key; `closed`: it does. */
  readonly healthAuth: 'open' | 'closed';
}

/**
 * True when `header` is `Bearer <key>` for an accepted key. Every digest is compared, each with
 * `timingSafeEqual` on equal-length SHA-256 digests, so the time taken says nothing about which
 * key, or how much of one, matched.
 */
export function acceptsBearer(header: unknown, digests: readonly Buffer[]): boolean {
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  const candidate = apiKeyDigest(match?.[1] ?? '');
  let accepted = false;
  for (const digest of digests) accepted = timingSafeEqual(digest, candidate) || accepted;
  return accepted && match !== null;
}

function unauthenticated(missing: boolean) {
  const message = missing
    ? 'missing API key: send metadata "authorization: Bearer <key>"'
    : 'invalid API key';
  const error = grpcErrorWithDetails(status.UNAUTHENTICATED, message, {
    errorInfo: {
      reason: missing ? ErrorReason.API_KEY_MISSING : ErrorReason.API_KEY_INVALID,
      domain: ERROR_DOMAIN,
      metadata: {},
    },
  });
  return { code: error.code, details: error.details, metadata: error.metadata ?? new Metadata() };
}

/**
 * Server interceptor that ends every call without an accepted API key with UNAUTHENTICATED,
 * before any message reaches a handler. grpc-js runs server interceptors for every method the
 * server has, so it covers unary and streaming RPCs, reflection, and health when it is closed.
 */
export function apiKeyInterceptor(options: ApiKeyAuthOptions): ServerInterceptor {
  if (!options.digests.length) throw new Error('apiKeyInterceptor needs at least one key');
  return (method, call) => {
    if (options.healthAuth === 'open' && method.path.startsWith(HEALTH_PREFIX))
      return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const header = metadata.get(AUTHORIZATION_KEY)[0];
            if (acceptsBearer(header, options.digests)) pass(metadata);
            else call.sendStatus(unauthenticated(header === undefined));
          },
        }),
    });
  };
}
