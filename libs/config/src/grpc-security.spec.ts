import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadServiceConfig } from './env-config';
import { apiKeyDigest } from './api-keys';

const PORTS = { port: 1, metricsPort: 2 };
const KEY_A = 'a'.repeat(16);
const KEY_B = 'b'.repeat(20);

describe('security settings of loadServiceConfig', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nextx-config-'));
    await writeFile(join(dir, 'keys'), `# team keys\n${KEY_A}\n\n`);
    await writeFile(join(dir, 'empty-keys'), '# none yet\n');
    await writeFile(join(dir, 'not-a-cert.pem'), 'hello');
  });

  it('without the variables: no TLS, no keys, health open (plaintext and unauthenticated)', () => {
    expect(loadServiceConfig({}, PORTS).security).toEqual({ apiKeys: [], healthAuth: 'open' });
  });

  it('reads keys from the file and the variable, keeping only their digests', () => {
    const { security } = loadServiceConfig(
      {
        GRPC_API_KEYS_FILE: join(dir, 'keys'),
        GRPC_API_KEYS: ` ${KEY_B} `,
        GRPC_AUTH_HEALTH: 'closed',
      },
      PORTS,
    );
    expect(security?.apiKeys).toEqual([
      { digest: apiKeyDigest(KEY_A) },
      { digest: apiKeyDigest(KEY_B) },
    ]);
    expect(security?.healthAuth).toBe('closed');
  });

  it('names the variable of a missing file, a lone cert or key, a bad PEM and bad keys', () => {
    const load = (env: NodeJS.ProcessEnv) => () => loadServiceConfig(env, PORTS);
    expect(load({ GRPC_API_KEYS_FILE: join(dir, 'nope') })).toThrow(
      /GRPC_API_KEYS_FILE=".*nope": cannot read the file \(ENOENT\)/,
    );
    expect(load({ GRPC_API_KEYS_FILE: join(dir, 'empty-keys') })).toThrow(
      /GRPC_API_KEYS_FILE=.*the file has no keys/,
    );
    expect(load({ GRPC_TLS_CERT: join(dir, 'not-a-cert.pem') })).toThrow(
      /GRPC_TLS_KEY="": required with GRPC_TLS_CERT/,
    );
    expect(
      load({
        GRPC_TLS_CERT: join(dir, 'not-a-cert.pem'),
        GRPC_TLS_KEY: join(dir, 'not-a-cert.pem'),
      }),
    ).toThrow(/GRPC_TLS_CERT=.*not a PEM certificate.*GRPC_TLS_KEY=.*not a PEM private key/);
    expect(load({ GRPC_TLS_CLIENT_CA: join(dir, 'not-a-cert.pem') })).toThrow(
      /GRPC_TLS_CLIENT_CA=.*needs GRPC_TLS_CERT and GRPC_TLS_KEY/,
    );
    expect(load({ GRPC_AUTH_HEALTH: 'sometimes' })).toThrow(/GRPC_AUTH_HEALTH="sometimes"/);
  });

  it('refuses short keys without echoing the secret', () => {
    expect(() => loadServiceConfig({ GRPC_API_KEYS: 'short-secret' }, PORTS)).toThrow(
      /^invalid configuration: GRPC_API_KEYS: entry 1: a key is shorter than 16 characters$/,
    );
  });
});
