import { readFileSync } from 'node:fs';
import type { ClientSecurity } from '@nextx/grpc';
import { InvalidArgumentError, Option, type Command } from 'commander';

/** The connection-security flags of every command, each with its environment variable. */
interface SecurityFlags {
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServerName?: string;
  apiKey?: string;
  apiKeyFile?: string;
}

let configured: ClientSecurity = {};

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InvalidArgumentError(`${flag} ${path}: cannot read the file (${code})`);
  }
}

/** Turns the flags into the clients' {@link ClientSecurity}, reading the files they name. */
export function securityFromFlags(flags: SecurityFlags): ClientSecurity {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
    throw new InvalidArgumentError('--tls-cert and --tls-key go together (mTLS)');
  const tlsOn =
    flags.tls || [flags.tlsCa, flags.tlsCert, flags.tlsServerName].some((v) => v !== undefined);
  const apiKey = flags.apiKeyFile
    ? readPem('--api-key-file', flags.apiKeyFile).toString('utf8').trim()
    : flags.apiKey;
  return {
    ...(tlsOn
      ? {
          tls: {
            ...(flags.tlsCa ? { ca: readPem('--tls-ca', flags.tlsCa) } : {}),
            ...(flags.tlsCert ? { cert: readPem('--tls-cert', flags.tlsCert) } : {}),
            ...(flags.tlsKey ? { key: readPem('--tls-key', flags.tlsKey) } : {}),
            ...(flags.tlsServerName ? { serverName: flags.tlsServerName } : {}),
          },
        }
      : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/**
 * Adds the TLS/mTLS and API-key flags to the program (recognised before or after the
 * subcommand) and reads them once before any command runs. A key given as `--api-key` shows in
 * `ps`; NEXTX_API_KEY or `--api-key-file` keep it out of the process list.
 */
export function withSecurityOptions(program: Command): Command {
  return program
    .addOption(
      new Option('--tls', 'use TLS (with the system CAs unless --tls-ca)').env('NEXTX_TLS'),
    )
    .addOption(
      new Option(
        '--tls-ca <pem>',
        'CA bundle that signed the server certificate (implies --tls)',
      ).env('NEXTX_TLS_CA'),
    )
    .addOption(new Option('--tls-cert <pem>', 'client certificate, for mTLS').env('NEXTX_TLS_CERT'))
    .addOption(new Option('--tls-key <pem>', 'private key of --tls-cert').env('NEXTX_TLS_KEY'))
    .addOption(
      new Option('--tls-server-name <name>', 'name to check the server certificate for').env(
        'NEXTX_TLS_SERVER_NAME',
      ),
    )
    .addOption(
      new Option('--api-key-file <path>', 'file holding the API key (sent as Bearer)').env(
        'NEXTX_API_KEY_FILE',
      ),
    )
    .addOption(
      new Option('--api-key <key>', 'API key (prefer NEXTX_API_KEY or --api-key-file)').env(
        'NEXTX_API_KEY',
      ),
    )
    .hook('preAction', (root) => {
      configured = securityFromFlags(root.opts<SecurityFlags>());
    });
}

/** The security every client of this run uses (set from the flags before the command runs). */
export function clientSecurity(): ClientSecurity {
  return configured;
}
