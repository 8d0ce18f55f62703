import { status } from '@grpc/grpc-js';
import { checkHealth, JsonLogger, startGrpcService } from '@nextx/grpc';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeGrpcSecurity,
  freePort,
  generateTestCerts,
  spawnService,
  workspaceRoot,
} from '@nextx/grpc/testing';
import { PROTO_FILES, timeseries } from '@nextx/proto';
import { describe, expect, it } from 'vitest';
import { loadTimeSeriesConfig } from '../src/config';
import { timeSeriesServiceDefinition } from '../src/timeseries.module';

describeGrpcSecurity({
  name: 'timeseries-service',
  protoFile: PROTO_FILES.timeseries,
  service: `${timeseries.protobufPackage}.${timeseries.TIME_SERIES_SERVICE_NAME}`,
  start: (env) => {
    const config = loadTimeSeriesConfig(env);
    return startGrpcService(
      timeSeriesServiceDefinition(config.limits, config.chronos),
      config.service,
      {
        logger: new JsonLogger('timeseries', 'warn'),
        handleSignals: false,
      },
    );
  },
});

describe('timeseries-service security configuration', () => {
  it('stops at start when the key does not match the certificate, naming GRPC_TLS_KEY', async () => {
    const certs = await generateTestCerts();
    try {
      expect(() =>
        loadTimeSeriesConfig({
          GRPC_TLS_CERT: certs.paths.serverCert,
          GRPC_TLS_KEY: certs.paths.clientKey,
        }),
      ).toThrow(/GRPC_TLS_KEY=.*does not match the certificate of GRPC_TLS_CERT/);
    } finally {
      await rm(certs.dir, { recursive: true, force: true });
    }
  });

  it('the process exits 1 at start with a message naming a missing TLS file', async () => {
    const service = await spawnService(
      join(workspaceRoot(), 'apps/timeseries-service/src/main.ts'),
      {
        GRPC_PORT: '1',
        METRICS_PORT: '0',
        GRPC_TLS_CERT: '/no/such/cert.pem',
        GRPC_TLS_KEY: '/no/such/key.pem',
      },
      { waitForHealth: false },
    );
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(
      /timeseries-service failed to start: invalid configuration: GRPC_TLS_CERT="\/no\/such\/cert.pem": cannot read the file \(ENOENT\)/,
    );
  }, 60_000);

  it('GRPC_AUTH_HEALTH=closed puts health behind the key too', async () => {
    const config = loadTimeSeriesConfig({
      GRPC_PORT: String(await freePort()),
      METRICS_PORT: '0',
      GRPC_API_KEYS: 'health-check-key-0123456789',
      GRPC_AUTH_HEALTH: 'closed',
    });
    const service = await startGrpcService(
      timeSeriesServiceDefinition(config.limits, config.chronos),
      config.service,
      { logger: new JsonLogger('timeseries', 'warn'), handleSignals: false },
    );
    try {
      await expect(checkHealth(service.address)).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
      expect(
        await checkHealth(service.address, '', 5000, { apiKey: 'health-check-key-0123456789' }),
      ).toBe('SERVING');
    } finally {
      await service.close();
    }
  });
});
