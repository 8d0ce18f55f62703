import { status } from '@grpc/grpc-js';
import { checkHealth, TypedGrpcClient } from '@nextx/grpc';
import { freePort, spawnService } from '@nextx/grpc/testing';
import { PROTO_FILES, timeseries } from '@nextx/proto';
import { loadCo2 } from '@nextx/timeseries/testing';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ENTRY = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('timeseries-service as a process', () => {
  it('refuses to start on a bad environment value and names it', async () => {
    const service = await spawnService(
      ENTRY,
      { GRPC_PORT: 'abc', TS_MAX_HORIZON: '-5' },
      { waitForHealth: false },
    );
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain('GRPC_PORT="abc": expected a number');
    expect(service.output()).toContain('TS_MAX_HORIZON="-5": expected >= 1');
  });

  it('on SIGTERM finishes the call in flight, then stops serving and exits 0', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const service = await spawnService(
      ENTRY,
      { GRPC_PORT: String(port), METRICS_PORT: '0' },
      { address },
    );
    const client = new TypedGrpcClient<timeseries.TimeSeriesClient>(
      address,
      PROTO_FILES.timeseries,
      'nextx.timeseries.v1.TimeSeries',
    );
    try {
      expect(await checkHealth(address)).toBe('SERVING');
      // A slow fit (AR-Net with a hidden layer) that is in flight when the signal arrives.
      const slow = client.unary('forecast', {
        series: { values: loadCo2(), timestampsMs: [], frequency: '', seasonLength: 12 },
        horizon: 12,
        quantiles: [],
        numPaths: 10,
        seed: 1,
        holdout: [],
        model: {
          method: timeseries.Method.METHOD_ARNET,
          order: 48,
          arnet: { hiddenLayers: [64], sparsity: 0, epochs: 300, learningRate: 0, batchSize: 0 },
        },
      });
      await new Promise((r) => setTimeout(r, 300));
      service.process.kill('SIGTERM');
      const response = await slow;
      expect(response.point).toHaveLength(12);
      expect(await service.exited).toBe(0);
      await expect(
        client.unary('forecast', {} as timeseries.ForecastRequest, { timeoutMs: 1000 }),
      ).rejects.toMatchObject({
        code: expect.toSatisfy(
          (code: number) => code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED,
        ),
      });
    } finally {
      client.close();
      service.process.kill('SIGKILL');
    }
  });

  it('drains on SIGTERM: NOT_SERVING for SHUTDOWN_DRAIN_DELAY_MS while new calls are still served', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const service = await spawnService(
      ENTRY,
      { GRPC_PORT: String(port), METRICS_PORT: '0', SHUTDOWN_DRAIN_DELAY_MS: '2000' },
      { address },
    );
    const client = new TypedGrpcClient<timeseries.TimeSeriesClient>(
      address,
      PROTO_FILES.timeseries,
      'nextx.timeseries.v1.TimeSeries',
    );
    const forecast = () =>
      client.unary('forecast', {
        series: { values: loadCo2(), timestampsMs: [], frequency: '', seasonLength: 12 },
        horizon: 6,
        quantiles: [],
        numPaths: 0,
        seed: 1,
        holdout: [],
        model: { method: timeseries.Method.METHOD_AR, order: 12 },
      } as timeseries.ForecastRequest);
    try {
      expect((await forecast()).point).toHaveLength(6);
      const signalledAt = Date.now();
      service.process.kill('SIGTERM');
      await expect.poll(() => checkHealth(address), { timeout: 1500 }).toBe('NOT_SERVING');
      // Still inside the drain window: a call routed here before the balancer noticed is served.
      expect((await forecast()).point).toHaveLength(6);
      expect(Date.now() - signalledAt).toBeLessThan(2000);
      expect(await service.exited).toBe(0);
      expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(2000);
      expect(service.output()).toContain('"msg":"draining"');
    } finally {
      client.close();
      service.process.kill('SIGKILL');
    }
  });
});
