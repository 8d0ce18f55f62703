import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { loadServiceConfig } from './env-config';
import { parseEnv } from './parse-env';
import { envInt } from './env-values';

describe('loadServiceConfig', () => {
  it('applies the service defaults', () => {
    const config = loadServiceConfig({}, { port: 50100, metricsPort: 9100 });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 50100,
      metricsPort: 9100,
      logLevel: 'info',
    });
  });

  it('reads values from the environment', () => {
    const config = loadServiceConfig(
      { GRPC_PORT: '6000', METRICS_PORT: '0' },
      { port: 1, metricsPort: 2 },
    );
    expect(config.port).toBe(6000);
    expect(config.metricsPort).toBe(0);
  });

  it('names the variable, the value and the rule when a value is bad', () => {
    expect(() => loadServiceConfig({ GRPC_PORT: 'abc' }, { port: 1, metricsPort: 2 })).toThrow(
      /GRPC_PORT="abc": expected a number/,
    );
    expect(() => loadServiceConfig({ GRPC_PORT: '70000' }, { port: 1, metricsPort: 2 })).toThrow(
      /GRPC_PORT="70000": expected <= 65535/,
    );
    expect(() => loadServiceConfig({ LOG_LEVEL: 'loud' }, { port: 1, metricsPort: 2 })).toThrow(
      ConfigError,
    );
  });

  it('reports every bad variable at once', () => {
    const schema = z.object({ A: envInt(1, 0, 10), B: envInt(1, 0, 10) });
    expect(() => parseEnv(schema, { A: '-1', B: '11' })).toThrow(/A="-1".*B="11"/);
  });
});
