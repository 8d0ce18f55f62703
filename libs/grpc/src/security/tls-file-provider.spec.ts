import { Server, status, type ServiceError } from '@grpc/grpc-js';
import { loadServerSecurity, securityEnvSchema, type ServerSecurity } from '@nextx/config';
import { X509Certificate } from 'node:crypto';
import { copyFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSecurity } from '../clients/client-security';
import { checkHealth } from '../clients/health-client';
import { HealthService } from '../health/health.service';
import { generateTestCerts, type TestCerts } from '../testing/test-certs';
import { serverCredentials } from './server-credentials';
import { TlsFileProvider } from './tls-file-provider';

const RELOAD_MS = 100;

/** The security a service would read from GRPC_TLS_* pointing at `dir`. */
function securityOf(dir: string, reloadMs: number): ServerSecurity {
  const env = securityEnvSchema.parse({
    GRPC_TLS_CERT: join(dir, 'tls.crt'),
    GRPC_TLS_KEY: join(dir, 'tls.key'),
    GRPC_TLS_CLIENT_CA: join(dir, 'client-ca.crt'),
    GRPC_TLS_RELOAD_INTERVAL_MS: String(reloadMs),
  });
  const { security, problems } = loadServerSecurity(env);
  if (!security) throw new Error(problems.join('; '));
  return security;
}

/**
 * Puts the server certificate, key and client CA of `pki` where the server reads them, in this
 * order, each replaced in one step (written beside it, then renamed over it) as a deployment
 * tool would.
 */
async function install(dir: string, pki: TestCerts, parts = ['ca', 'cert', 'key']) {
  const copies = {
    cert: ['serverCert', 'tls.crt'],
    key: ['serverKey', 'tls.key'],
    ca: ['ca', 'client-ca.crt'],
  } as const;
  for (const part of parts) {
    const [from, to] = copies[part as keyof typeof copies];
    await copyFile(pki.paths[from], join(dir, `${to}.new`));
    await rename(join(dir, `${to}.new`), join(dir, to));
  }
}

/** SHA-256 fingerprint of the certificate a new TLS connection to `port` is shown. */
function servedFingerprint(port: number, pki: TestCerts): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ALPNProtocols: ['h2'],
        // Only the certificate is looked at here, whoever signed it.
        rejectUnauthorized: false,
        cert: pki.pem.clientCert,
        key: pki.pem.clientKey,
      },
      () => {
        resolve(socket.getPeerX509Certificate()!.fingerprint256);
        socket.destroy();
      },
    );
    socket.on('error', reject);
  });
}

const fingerprint = (pem: Buffer) => new X509Certificate(pem).fingerprint256;

async function until(what: string, predicate: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('TLS certificate hot reload (GRPC_TLS_RELOAD_INTERVAL_MS)', () => {
  let first: TestCerts;
  let second: TestCerts;
  let server: Server;
  let port: number;
  const warnings: unknown[] = [];
  const reloads: unknown[] = [];

  beforeAll(async () => {
    [first, second] = await Promise.all([generateTestCerts(), generateTestCerts()]);
    await install(first.dir, first);
    server = new Server();
    const health = new HealthService([]);
    health.addToServer(server);
    health.setAll('SERVING');
    const logger = { log: (m: unknown) => reloads.push(m), warn: (m: unknown) => warnings.push(m) };
    const credentials = serverCredentials(securityOf(first.dir, RELOAD_MS), logger);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', credentials, (error, p) =>
        error ? reject(error) : resolve(p),
      ),
    );
  }, 60_000);

  afterAll(async () => {
    server?.forceShutdown();
    for (const pki of [first, second]) if (pki) await rm(pki.dir, { recursive: true, force: true });
  });

  const mtls = (pki: TestCerts): ClientSecurity => ({
    tls: {
      ca: pki.pem.ca,
      cert: pki.pem.clientCert,
      key: pki.pem.clientKey,
      serverName: 'localhost',
    },
  });
  const health = (pki: TestCerts) =>
    checkHealth(`127.0.0.1:${port}`, '', 5000, mtls(pki)).catch((e: ServiceError) => e.code);

  it('serves the files read at start', async () => {
    expect(await servedFingerprint(port, first)).toBe(fingerprint(first.pem.serverCert));
    expect(await health(first)).toBe('SERVING');
  });

  it('a certificate without its new key is not taken: the old pair keeps serving, the reason is logged once', async () => {
    await install(first.dir, second, ['cert']);
    await sleep(RELOAD_MS * 4);
    expect(await servedFingerprint(port, first)).toBe(fingerprint(first.pem.serverCert));
    expect(await health(first)).toBe('SERVING');
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0])).toMatch(
      /GRPC_TLS_KEY=.*does not match the certificate of GRPC_TLS_CERT/,
    );
  });

  it('swapped certificate, key and client CA: a new connection sees the new certificate and needs the new CA', async () => {
    // The CA first: until the key arrives the pair does not match, so nothing is taken halfway.
    await install(first.dir, second, ['ca', 'key']);
    await until(
      'the new certificate',
      async () => (await servedFingerprint(port, second)) === fingerprint(second.pem.serverCert),
    );
    expect(reloads).toEqual([
      expect.objectContaining({
        msg: 'TLS files reloaded',
        certificate: expect.objectContaining({ subject: 'CN=server' }),
      }),
    ]);
    // Trusting the new CA with a client certificate it signed works; the old pair no longer does.
    expect(await health(second)).toBe('SERVING');
    expect(await health(first)).toBe(status.UNAVAILABLE);
  });

  it('with the interval 0 the files are read once (plain createSsl)', () => {
    const security = securityOf(first.dir, 0);
    expect(security.tls?.reloadIntervalMs).toBe(0);
    expect(serverCredentials(security).constructor.name).toBe('SecureServerCredentials');
  });

  it('check() takes only changed files that pass the start checks', async () => {
    const provider = new TlsFileProvider(securityOf(first.dir, 0).tls!);
    expect(provider.check()).toBe(false);
    await install(first.dir, first);
    expect(provider.check()).toBe(true);
    expect(provider.check()).toBe(false);
  });
});
