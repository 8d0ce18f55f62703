import { experimental, ServerCredentials } from '@grpc/grpc-js';
import type { LoggerService } from '@nestjs/common';
import type { ServerSecurity } from '@nextx/config';
import { TlsFileProvider } from './tls-file-provider';

/**
 * The credentials a server binds with: insecure without TLS material; TLS with it; and with a
 * client CA, mTLS — grpc-js then asks every client for a certificate signed by that CA and ends
 * the handshake of one that has none, before any call. With a reload interval (the default) the
 * files are looked at again and changed ones serve new connections ({@link TlsFileProvider});
 * with 0 they are read once.
 */
export function serverCredentials(
  security: ServerSecurity | undefined,
  logger?: Pick<LoggerService, 'log' | 'warn'>,
): ServerCredentials {
  const tls = security?.tls;
  if (!tls) return ServerCredentials.createInsecure();
  const mtls = tls.clientCa !== undefined;
  if (!tls.reloadIntervalMs)
    return ServerCredentials.createSsl(
      tls.clientCa ?? null,
      [{ private_key: tls.key, cert_chain: tls.cert }],
      mtls,
    );
  const files = new TlsFileProvider(tls, logger);
  // grpc-js 1.14 passes its first two parameters to the credentials' constructor as (identity,
  // CA), whatever their declared names say: identity first, the CA (null = no client
  // certificates asked for) second. One provider serves both.
  return experimental.createCertificateProviderServerCredentials(files, mtls ? files : null, mtls);
}
