import { experimental } from '@grpc/grpc-js';
import type { LoggerService } from '@nestjs/common';
import { ConfigProblems, readServerTls, type ServerTls } from '@nextx/config';
import { X509Certificate } from 'node:crypto';

type Material = { readonly cert: Buffer; readonly key: Buffer; readonly clientCa?: Buffer };

/** What a log line says about a certificate: enough to tell which one is served. */
function describe(cert: Buffer) {
  const x509 = new X509Certificate(cert);
  return { subject: x509.subject, serial: x509.serialNumber, validTo: x509.validTo };
}

const same = (a: Buffer | undefined, b: Buffer | undefined) =>
  a === undefined || b === undefined ? a === b : a.equals(b);

/**
 * grpc-js certificate provider over the server's TLS files (GRPC_TLS_CERT, GRPC_TLS_KEY and
 * GRPC_TLS_CLIENT_CA): it serves what was read and checked at start, looks at the files again
 * every `reloadIntervalMs`, and hands changed files to the server only when they pass the start
 * checks together. A half-done rotation (a new certificate, its key not written yet) keeps the
 * old pair in service and logs why, once; the next look finds the pair complete. Connections
 * already open keep the certificate they were made with; new ones get the new one.
 *
 * grpc-js's own `FileWatcherCertificateProvider` hands over whatever it reads, unchecked: a
 * certificate without its key would fail every new handshake until the key arrived.
 */
export class TlsFileProvider implements experimental.CertificateProvider {
  private current: Material;
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();
  private timer?: NodeJS.Timeout;
  private lastProblem?: string;

  constructor(
    private readonly tls: ServerTls,
    private readonly logger?: Pick<LoggerService, 'log' | 'warn'>,
  ) {
    this.current = tls;
  }

  /** Looks at the files now; true when the server got new material. */
  check(): boolean {
    const problems = new ConfigProblems();
    const next = readServerTls(this.tls.files, problems);
    if (!next) {
      const problem = problems.list.join('; ');
      if (problem !== this.lastProblem)
        this.logger?.warn(
          {
            msg: 'TLS files changed but are not usable yet; still serving the previous ones',
            problem,
          },
          'TLS',
        );
      this.lastProblem = problem;
      return false;
    }
    this.lastProblem = undefined;
    const { cert, key, clientCa } = this.current;
    if (same(cert, next.cert) && same(key, next.key) && same(clientCa, next.clientCa)) return false;
    this.current = next;
    this.logger?.log({ msg: 'TLS files reloaded', certificate: describe(next.cert) }, 'TLS');
    for (const listener of this.identityListeners) listener(this.identity());
    for (const listener of this.caListeners) listener(this.ca());
    return true;
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    this.watch();
    // Not synchronously: grpc-js registers its secure-context watcher after adding listeners.
    process.nextTick(() => this.caListeners.has(listener) && listener(this.ca()));
  }

  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
    this.unwatch();
  }

  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    this.watch();
    process.nextTick(() => this.identityListeners.has(listener) && listener(this.identity()));
  }

  removeIdentityCertificateListener(
    listener: experimental.IdentityCertificateUpdateListener,
  ): void {
    this.identityListeners.delete(listener);
    this.unwatch();
  }

  private identity(): experimental.IdentityCertificateUpdate {
    return { certificate: this.current.cert, privateKey: this.current.key };
  }

  private ca(): experimental.CaCertificateUpdate | null {
    return this.current.clientCa ? { caCertificate: this.current.clientCa } : null;
  }

  private watch(): void {
    if (this.timer || !this.tls.reloadIntervalMs) return;
    // unref: a server that is shut down (its listeners removed) or a process that is exiting is
    // not kept alive by the look at the files.
    this.timer = setInterval(() => this.check(), this.tls.reloadIntervalMs).unref();
  }

  private unwatch(): void {
    if (this.caListeners.size || this.identityListeners.size) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
