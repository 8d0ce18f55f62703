import { ServerCredentials } from '@grpc/grpc-js';
import type { ServerSecurity } from '@nextx/config';

/**
 * The credentials a server binds with: insecure without TLS material; TLS with it; and with a
 * client CA, mTLS — grpc-js then asks every client for a certificate signed by that CA and ends
 * the handshake of one that has none, before any call.
 */
export function serverCredentials(security: ServerSecurity | undefined): ServerCredentials {
  const tls = security?.tls;
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ private_key: tls.key, cert_chain: tls.cert }],
    tls.clientCa !== undefined,
  );
}
