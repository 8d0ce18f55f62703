import { z } from 'zod';
import { loadApiKeys, type ApiKey } from './api-keys';
import { ConfigProblems } from './config-problems';
import { envInt } from './env-values';

/** Security settings of a gRPC server; every one unset keeps it plaintext and unauthenticated. */
export const securityEnvSchema = z.object({
  /** PEM certificate chain the server presents; turns TLS on (needs GRPC_TLS_KEY). */
  GRPC_TLS_CERT: z.string().min(1).optional(),
  /** PEM private key of GRPC_TLS_CERT. */
  GRPC_TLS_KEY: z.string().min(1).optional(),
  /** PEM CA bundle; when set, clients must present a certificate it signed (mTLS). */
  GRPC_TLS_CLIENT_CA: z.string().min(1).optional(),
  /**
   * How often the TLS files are looked at again, ms: changed files that are valid together
   * serve new connections without a restart. 0 = read once at start.
   */
  GRPC_TLS_RELOAD_INTERVAL_MS: envInt(60_000, 0, 86_400_000),
  /**
   * File of accepted API keys, one a line (blank lines and `#` comments skipped), each
   * optionally followed by the methods it may call.
   */
  GRPC_API_KEYS_FILE: z.string().min(1).optional(),
  /** Accepted API keys, comma-separated (added to those of GRPC_API_KEYS_FILE). */
  GRPC_API_KEYS: z.string().optional(),
  /** `open`: grpc.health.v1 answers without a key (probes); `closed`: it needs one too. */
  GRPC_AUTH_HEALTH: z.enum(['open', 'closed']).default('open'),
});

type SecurityEnv = z.infer<typeof securityEnvSchema>;

/** Where a TLS server's PEM files are, as configured. */
export interface ServerTlsFiles {
  /** GRPC_TLS_CERT. */
  readonly cert: string;
  /** GRPC_TLS_KEY. */
  readonly key: string;
  /** GRPC_TLS_CLIENT_CA; set = mTLS. */
  readonly clientCa?: string;
}

/** Certificate material of a TLS server, read and checked at start. */
export interface ServerTls {
  /** PEM certificate chain. */
  readonly cert: Buffer;
  /** PEM private key matching `cert`. */
  readonly key: Buffer;
  /** PEM CA bundle that client certificates must chain to; set = mTLS. */
  readonly clientCa?: Buffer;
  /** The files they were read from (the server reads them again when they change). */
  readonly files: ServerTlsFiles;
  /** How often the files are looked at again, ms; 0 = never. */
  readonly reloadIntervalMs: number;
}

/** The validated security settings of a gRPC server. */
export interface ServerSecurity {
  /** TLS material; absent = plaintext. */
  readonly tls?: ServerTls;
  /** The accepted API keys and the methods each may call; empty = no key required. */
  readonly apiKeys: readonly ApiKey[];
  /** Whether health checks need a key too. */
  readonly healthAuth: SecurityEnv['GRPC_AUTH_HEALTH'];
}

/**
 * Reads the TLS files and checks them: they exist, the certificate and key parse and match, the
 * client CA parses. The server start and every reload go through here, so a reload takes only
 * what a start would have taken.
 */
export function readServerTls(
  files: ServerTlsFiles,
  problems: ConfigProblems = new ConfigProblems(),
): { cert: Buffer; key: Buffer; clientCa?: Buffer } | undefined {
  const pair = problems.keyPair(
    { variable: 'GRPC_TLS_CERT', path: files.cert },
    { variable: 'GRPC_TLS_KEY', path: files.key },
  );
  const clientCa = files.clientCa
    ? problems.caBundle('GRPC_TLS_CLIENT_CA', files.clientCa)
    : undefined;
  if (!pair || (files.clientCa && !clientCa)) return undefined;
  return clientCa ? { ...pair, clientCa } : pair;
}

function loadTls(env: SecurityEnv, problems: ConfigProblems): ServerTls | undefined {
  const { GRPC_TLS_CERT: cert, GRPC_TLS_KEY: key, GRPC_TLS_CLIENT_CA: clientCa } = env;
  if (!cert || !key) {
    if (cert) problems.add('GRPC_TLS_KEY', key, 'required with GRPC_TLS_CERT');
    if (key) problems.add('GRPC_TLS_CERT', cert, 'required with GRPC_TLS_KEY');
    if (clientCa)
      problems.add('GRPC_TLS_CLIENT_CA', clientCa, 'needs GRPC_TLS_CERT and GRPC_TLS_KEY');
    return undefined;
  }
  const files = clientCa ? { cert, key, clientCa } : { cert, key };
  const material = readServerTls(files, problems);
  return material && { ...material, files, reloadIntervalMs: env.GRPC_TLS_RELOAD_INTERVAL_MS };
}

/**
 * Reads the TLS files and API keys named by the parsed security variables and checks them (the
 * files exist, the certificate and key parse and match, the keys and their method patterns are
 * well formed); `undefined` with every problem, each naming its variable, otherwise.
 */
export function loadServerSecurity(
  env: SecurityEnv,
): { security: ServerSecurity; problems: [] } | { security: undefined; problems: string[] } {
  const problems = new ConfigProblems();
  const tls = loadTls(env, problems);
  const apiKeys = loadApiKeys(env, problems);
  if (problems.list.length) return { security: undefined, problems: problems.list };
  return {
    security: { ...(tls ? { tls } : {}), apiKeys, healthAuth: env.GRPC_AUTH_HEALTH },
    problems: [],
  };
}
