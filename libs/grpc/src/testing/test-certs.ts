import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Files of a throwaway PKI: a CA, a server certificate for 127.0.0.1/localhost, a client one. */
export interface TestCerts {
  readonly dir: string;
  /** Paths of the PEM files. */
  readonly paths: {
    readonly ca: string;
    readonly serverCert: string;
    readonly serverKey: string;
    readonly clientCert: string;
    readonly clientKey: string;
    /** A client certificate from another CA, which an mTLS server must refuse. */
    readonly strangerCert: string;
    readonly strangerKey: string;
  };
  /** The same files' contents. */
  readonly pem: { readonly [K in keyof TestCerts['paths']]: Buffer };
}

const CURVE = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 30_000 });
}

async function selfSignedCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-x509',
    ...CURVE,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

async function signed(dir: string, ca: string, name: string, extensions: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    'req',
    ...CURVE,
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ]);
}

/**
 * Generates a throwaway PKI in a fresh temporary folder with the `openssl` CLI (P-256 keys,
 * valid two days): enough for TLS, mTLS and a refused stranger in a loopback test.
 */
export async function generateTestCerts(): Promise<TestCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'nextx-certs-'));
  await selfSignedCa(dir, 'ca');
  await selfSignedCa(dir, 'stranger-ca');
  const leaf = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n';
  await signed(
    dir,
    'ca',
    'server',
    `${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n`,
  );
  await signed(dir, 'ca', 'client', `${leaf}extendedKeyUsage=clientAuth\n`);
  await signed(dir, 'stranger-ca', 'stranger', `${leaf}extendedKeyUsage=clientAuth\n`);
  const paths = {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    strangerCert: join(dir, 'stranger.crt'),
    strangerKey: join(dir, 'stranger.key'),
  };
  const entries = await Promise.all(
    Object.entries(paths).map(async ([k, p]) => [k, await readFile(p)] as const),
  );
  return { dir, paths, pem: Object.fromEntries(entries) as TestCerts['pem'] };
}
