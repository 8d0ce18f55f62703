import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Shortest API key accepted, characters: a guessable key is no key. */
export const MIN_API_KEY_CHARS = 16;

/** Security settings of a gRPC server; every one unset keeps it plaintext and unauthenticated. */
export const securityEnvSchema = z.object({
  /** PEM certificate chain the server presents; turns TLS on (needs GRPC_TLS_KEY). */
  GRPC_TLS_CERT: z.string().min(1).optional(),
  /** PEM private key of GRPC_TLS_CERT. */
  GRPC_TLS_KEY: z.string().min(1).optional(),
  /** PEM CA bundle; when set, clients must present a certificate it signed (mTLS). */
  GRPC_TLS_CLIENT_CA: z.string().min(1).optional(),
  /** File of accepted API keys, one a line (blank lines and `#` comments skipped). */
  GRPC_API_KEYS_FILE: z.string().min(1).optional(),
  /** Accepted API keys, comma-separated (added to those of GRPC_API_KEYS_FILE). */
  GRPC_API_KEYS: z.string().optional(),
  /** `open`: grpc.health.v1 answers without a key (probes); `closed`: it needs one too. */
  GRPC_AUTH_HEALTH: z.enum(['open', 'closed']).default('open'),
});

type SecurityEnv = z.infer<typeof securityEnvSchema>;

/** Certificate material of a TLS server, read and checked at start. */
export interface ServerTls {
  /** PEM certificate chain. */
  readonly cert: Buffer;
  /** PEM private key matching `cert`. */
  readonly key: Buffer;
  /** PEM CA bundle that client certificates must chain to; set = mTLS. */
  readonly clientCa?: Buffer;
}

/** The validated security settings of a gRPC server. */
export interface ServerSecurity {
  /** TLS material; absent = plaintext. */
  readonly tls?: ServerTls;
  /** SHA-256 digests of the accepted API keys; empty = no key required. */
  readonly apiKeyDigests: readonly Buffer[];
  /** Whether health checks need a key too. */
  readonly healthAuth: SecurityEnv['GRPC_AUTH_HEALTH'];
}

/** SHA-256 of an API key: keys are compared as equal-length digests, in constant time. */
export function apiKeyDigest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Collects problems so that every bad security variable is reported at once. */
class Problems {
  readonly list: string[] = [];

  add(variable: string, value: string | undefined, problem: string): void {
    this.list.push(`${variable}=${JSON.stringify(value ?? '')}: ${problem}`);
  }

  read(variable: string, path: string): Buffer | undefined {
    try {
      return readFileSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.add(variable, path, `cannot read the file (${code ?? String(error)})`);
      return undefined;
    }
  }
}

function certificate(problems: Problems, variable: string, path: string, pem: Buffer) {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    problems.add(variable, path, `not a PEM certificate (${(error as Error).message})`);
    return undefined;
  }
}

function privateKey(problems: Problems, path: string, pem: Buffer): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    problems.add('GRPC_TLS_KEY', path, `not a PEM private key (${(error as Error).message})`);
    return undefined;
  }
}

function loadTls(env: SecurityEnv, problems: Problems): ServerTls | undefined {
  const { GRPC_TLS_CERT: certPath, GRPC_TLS_KEY: keyPath, GRPC_TLS_CLIENT_CA: caPath } = env;
  if (!certPath || !keyPath) {
    if (certPath) problems.add('GRPC_TLS_KEY', keyPath, 'required with GRPC_TLS_CERT');
    if (keyPath) problems.add('GRPC_TLS_CERT', certPath, 'required with GRPC_TLS_KEY');
    if (caPath) problems.add('GRPC_TLS_CLIENT_CA', caPath, 'needs GRPC_TLS_CERT and GRPC_TLS_KEY');
    return undefined;
  }
  const cert = problems.read('GRPC_TLS_CERT', certPath);
  const key = problems.read('GRPC_TLS_KEY', keyPath);
  const clientCa = caPath ? problems.read('GRPC_TLS_CLIENT_CA', caPath) : undefined;
  const x509 = cert && certificate(problems, 'GRPC_TLS_CERT', certPath, cert);
  const keyObject = key && privateKey(problems, keyPath, key);
  if (x509 && keyObject && !x509.checkPrivateKey(keyObject))
    problems.add('GRPC_TLS_KEY', keyPath, `does not match the certificate of GRPC_TLS_CERT`);
  if (caPath && clientCa) certificate(problems, 'GRPC_TLS_CLIENT_CA', caPath, clientCa);
  if (!cert || !key || (caPath && !clientCa)) return undefined;
  return clientCa ? { cert, key, clientCa } : { cert, key };
}

function keyProblem(key: string): string | undefined {
  if (key.length < MIN_API_KEY_CHARS)
    return `a key is shorter than ${MIN_API_KEY_CHARS} characters`;
  if (/[^\x21-\x7e]/.test(key)) return 'a key has a character outside printable ASCII';
  return undefined;
}

function loadApiKeys(env: SecurityEnv, problems: Problems): string[] {
  const keys: string[] = [];
  const path = env.GRPC_API_KEYS_FILE;
  if (path) {
    const text = problems.read('GRPC_API_KEYS_FILE', path)?.toString('utf8');
    if (text !== undefined) {
      const fromFile = text
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'));
      const bad = fromFile.map(keyProblem).find(Boolean);
      if (bad) problems.add('GRPC_API_KEYS_FILE', path, bad);
      else if (!fromFile.length) problems.add('GRPC_API_KEYS_FILE', path, 'the file has no keys');
      else keys.push(...fromFile);
    }
  }
  if (env.GRPC_API_KEYS !== undefined) {
    const fromEnv = env.GRPC_API_KEYS.split(',')
      .map((key) => key.trim())
      .filter(Boolean);
    // The value itself is a secret: the message names the variable, never the keys.
    const bad = fromEnv.map(keyProblem).find(Boolean);
    if (bad) problems.list.push(`GRPC_API_KEYS: ${bad}`);
    else if (!fromEnv.length)
      problems.list.push('GRPC_API_KEYS: no keys (unset it to turn keys off)');
    else keys.push(...fromEnv);
  }
  return keys;
}

/**
 * Reads the TLS files and API keys named by the parsed security variables and checks them (the
 * files exist, the certificate and key parse and match); `undefined` with every problem, each
 * naming its variable, otherwise.
 */
export function loadServerSecurity(
  env: SecurityEnv,
): { security: ServerSecurity; problems: [] } | { security: undefined; problems: string[] } {
  const problems = new Problems();
  const tls = loadTls(env, problems);
  const keys = loadApiKeys(env, problems);
  if (problems.list.length) return { security: undefined, problems: problems.list };
  return {
    security: {
      ...(tls ? { tls } : {}),
      apiKeyDigests: keys.map(apiKeyDigest),
      healthAuth: env.GRPC_AUTH_HEALTH,
    },
    problems: [],
  };
}
