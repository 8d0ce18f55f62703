import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  freePort,
  generateTestCerts,
  spawnService,
  workspaceRoot,
  type SpawnedService,
  type TestCerts,
} from '@nextx/grpc/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = workspaceRoot();
const API_KEY = 'cli-test-key-0123456789abcdef';

describe('nextx CLI against a time-series service with mTLS and API keys', () => {
  let certs: TestCerts;
  let service: SpawnedService;
  let address: string;
  let keyFile: string;

  const nextx = (args: string[], env: Record<string, string> = {}) =>
    run(join(root, 'bin/nextx'), args, { cwd: root, env: { ...process.env, ...env } });

  beforeAll(async () => {
    certs = await generateTestCerts();
    keyFile = join(certs.dir, 'nextx-key');
    await writeFile(keyFile, `${API_KEY}\n`);
    const port = await freePort();
    address = `localhost:${port}`;
    service = await spawnService(
      join(root, 'apps/timeseries-service/src/main.ts'),
      {
        GRPC_PORT: String(port),
        METRICS_PORT: '0',
        GRPC_TLS_CERT: certs.paths.serverCert,
        GRPC_TLS_KEY: certs.paths.serverKey,
        GRPC_TLS_CLIENT_CA: certs.paths.ca,
        GRPC_API_KEYS: API_KEY,
      },
      {
        address,
        security: {
          tls: { ca: certs.pem.ca, cert: certs.pem.clientCert, key: certs.pem.clientKey },
        },
      },
    );
  }, 60_000);

  afterAll(async () => {
    service?.process.kill('SIGTERM');
    await service?.exited;
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  const tlsFlags = () => [
    '--tls-ca',
    certs.paths.ca,
    '--tls-cert',
    certs.paths.clientCert,
    '--tls-key',
    certs.paths.clientKey,
  ];

  it('lists the models with the TLS flags and the key file', async () => {
    const { stdout } = await nextx([
      ...tlsFlags(),
      '--api-key-file',
      keyFile,
      'models',
      '--service',
      'timeseries',
      '--addr',
      address,
    ]);
    expect(stdout).toContain('arnet@1');
  });

  it('takes the same settings from NEXTX_* variables, flags after the subcommand too', async () => {
    const env = {
      NEXTX_TLS_CA: certs.paths.ca,
      NEXTX_TLS_CERT: certs.paths.clientCert,
      NEXTX_TLS_KEY: certs.paths.clientKey,
      NEXTX_API_KEY: API_KEY,
    };
    expect((await nextx(['describe', address], env)).stdout).toContain(
      'nextx.timeseries.v1.TimeSeries\n  Forecast',
    );
    expect((await nextx(['health', address, '--tls-ca', certs.paths.ca], env)).stdout).toBe(
      `${address}: SERVING\n`,
    );
  });

  it('without the key the call fails with the reason; without TLS it cannot connect', async () => {
    const models = ['models', '--service', 'timeseries', '--addr', address];
    await expect(nextx([...tlsFlags(), ...models])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('missing API key'),
    });
    await expect(nextx(['--api-key-file', keyFile, ...models])).rejects.toMatchObject({ code: 1 });
  });
});
