import type { Server as TlsServer } from 'node:tls';
import type { LoggerService } from '@nestjs/common';
import type { ServerTls } from '@nextx/config';
import { TlsFileProvider } from '@nextx/grpc';

/**
 * Keeps an HTTPS server's certificate current the way the gRPC services do
 * (GRPC_TLS_RELOAD_INTERVAL_MS): the services' `TlsFileProvider` looks at the files, hands over
 * only a pair (and client CA) that passes the start checks, and each update becomes the server's
 * secure context for new connections; open ones keep theirs.
 */
export function reloadHttpsOnChange(
  server: TlsServer,
  tls: ServerTls,
  logger: Pick<LoggerService, 'log' | 'warn'>,
): TlsFileProvider {
  const provider = new TlsFileProvider(tls, logger);
  let identity = { cert: tls.cert, key: tls.key };
  let clientCa = tls.clientCa;
  const apply = () =>
    server.setSecureContext({ ...identity, ...(clientCa ? { ca: clientCa } : {}) });
  provider.addIdentityCertificateListener((update) => {
    if (!update) return;
    identity = { cert: update.certificate, key: update.privateKey };
    apply();
  });
  provider.addCaCertificateListener((update) => {
    if (update) clientCa = update.caCertificate;
    apply();
  });
  return provider;
}
