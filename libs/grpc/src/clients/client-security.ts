import {
  credentials,
  InterceptingCall,
  type ChannelCredentials,
  type ChannelOptions,
  type Interceptor,
} from '@grpc/grpc-js';

/** How a client reaches a server that uses TLS, mTLS or API keys; empty = plaintext, no key. */
export interface ClientSecurity {
  /** TLS settings; absent = plaintext. */
  readonly tls?: {
    /** PEM CA bundle that signed the server certificate; absent = the system roots. */
    readonly ca?: Buffer;
    /** PEM client certificate chain, for mTLS (with `key`). */
    readonly cert?: Buffer;
    /** PEM private key of `cert`. */
    readonly key?: Buffer;
    /** Name to check the server certificate against instead of the address's host. */
    readonly serverName?: string;
  };
  /** Sent as `authorization: Bearer <key>` on every call. */
  readonly apiKey?: string;
}

/** Client interceptor that adds `authorization: Bearer <key>` to every call's metadata. */
export function apiKeyClientInterceptor(apiKey: string): Interceptor {
  const value = `Bearer ${apiKey}`;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', value);
        next(metadata, listener);
      },
    });
}

/** Channel credentials for `security`: insecure, TLS, or TLS with a client certificate. */
export function clientCredentials(security: ClientSecurity = {}): ChannelCredentials {
  const tls = security.tls;
  if (!tls) return credentials.createInsecure();
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw new Error('a client certificate needs its key, and a key its certificate');
  return credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

/**
 * Client constructor options for `security`: the API key as a client interceptor (call
 * credentials would refuse a plaintext channel, and a key behind a TLS-terminating proxy is
 * legitimate) and the TLS server name override.
 */
export function clientSecurityOptions(security: ClientSecurity = {}): ChannelOptions {
  return {
    ...(security.apiKey ? { interceptors: [apiKeyClientInterceptor(security.apiKey)] } : {}),
    ...(security.tls?.serverName
      ? { 'grpc.ssl_target_name_override': security.tls.serverName }
      : {}),
  };
}
