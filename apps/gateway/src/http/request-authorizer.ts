import { status } from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';
import { methodMatcher } from '@nextx/config';
import { bearerKey, ErrorReason } from '@nextx/grpc';
import type { GatewayConfig } from '../config';
import { GATEWAY_CONFIG } from '../tokens';
import { gatewayStatus, type RpcStatusJson } from './rpc-status-json';

/**
 * The API-key check of the gRPC services, applied to HTTP: `Authorization: Bearer <key>` must be
 * an accepted key that may call the gRPC method the route maps to. No keys configured = open.
 */
@Injectable()
export class RequestAuthorizer {
  private readonly keys;
  private readonly matchers;
  readonly healthOpen: boolean;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.keys = config.security.apiKeys;
    this.matchers = new Map(this.keys.map((key) => [key, methodMatcher(key.methods)]));
    this.healthOpen = config.security.healthAuth === 'open';
  }

  get required(): boolean {
    return this.keys.length > 0;
  }

  /** Undefined when the call may go ahead, else the status to answer with. */
  refusal(authorization: unknown, grpcPaths: readonly string[]): RpcStatusJson | undefined {
    if (!this.required) return undefined;
    if (authorization === undefined)
      return gatewayStatus(
        status.UNAUTHENTICATED,
        'missing API key: send the header "Authorization: Bearer <key>"',
        { reason: ErrorReason.API_KEY_MISSING },
      );
    const key = bearerKey(authorization, this.keys);
    if (!key)
      return gatewayStatus(status.UNAUTHENTICATED, 'invalid API key', {
        reason: ErrorReason.API_KEY_INVALID,
      });
    const denied = grpcPaths.find((path) => !this.matchers.get(key)!(path));
    return denied
      ? gatewayStatus(status.PERMISSION_DENIED, `this API key may not call ${denied}`, {
          reason: ErrorReason.API_KEY_METHOD_DENIED,
        })
      : undefined;
  }
}
