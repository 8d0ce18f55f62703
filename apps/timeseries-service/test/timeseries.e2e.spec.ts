import { status, type ServiceError } from '@grpc/grpc-js';
import {
  checkHealth,
  describeServer,
  ErrorReason,
  JsonLogger,
  readStatusDetails,
  startGrpcService,
  TypedGrpcClient,
  type RunningGrpcService,
} from '@nextx/grpc';
import { freePort, healthCheckLatencies, expectInvalidArgument } from '@nextx/grpc/testing';
import { models, PROTO_FILES, timeseries } from '@nextx/proto';
import { loadCo2 } from '@nextx/timeseries/testing';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTimeSeriesConfig } from '../src/config';
import { timeSeriesServiceDefinition } from '../src/timeseries.module';

const { Method } = timeseries;
const { ModelFamily } = models;
type Client = TypedGrpcClient<timeseries.TimeSeriesClient>;

function request(overrides: Partial<timeseries.ForecastRequest> = {}): timeseries.ForecastRequest {
  return {
    series: {
      values: loadCo2().slice(0, 300),
      timestampsMs: [],
      frequency: 'MS',
      seasonLength: 12,
    },
    horizon: 12,
    quantiles: [0.1, 0.5, 0.9],
    model: { method: Method.METHOD_AR, order: 0 },
    numPaths: 100,
    seed: 7,
    holdout: [],
    ...overrides,
  };
}

describe('timeseries-service over gRPC on loopback', () => {
  let service: RunningGrpcService;
  let client: Client;
  let logs = '';

  beforeAll(async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const config = loadTimeSeriesConfig({
      GRPC_PORT: String(port),
      METRICS_PORT: String(metricsPort),
      TS_MAX_SERIES_LENGTH: '1000',
      TS_MAX_HORIZON: '500',
    });
    const sink = new PassThrough();
    sink.on('data', (chunk) => (logs += chunk));
    service = await startGrpcService(
      timeSeriesServiceDefinition(config.limits, config.chronos),
      config.service,
      {
        logger: new JsonLogger('timeseries', 'info', sink),
        handleSignals: false,
      },
    );
    client = new TypedGrpcClient(
      service.address,
      PROTO_FILES.timeseries,
      'nextx.timeseries.v1.TimeSeries',
    );
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  it('forecasts with quantiles, coefficients, in-sample metrics and future timestamps', async () => {
    const values = loadCo2().slice(0, 300);
    const timestampsMs = values.map((_, i) => Date.UTC(1958, 2 + i, 1));
    const response = await client.unary(
      'forecast',
      request({ series: { values, timestampsMs, frequency: 'MS', seasonLength: 12 } }),
    );
    expect(response.point).toHaveLength(12);
    expect(response.quantiles.map((q) => q.level)).toEqual([0.1, 0.5, 0.9]);
    for (let h = 0; h < 12; h++) {
      expect(response.quantiles[0].values[h]).toBeLessThanOrEqual(response.quantiles[2].values[h]);
    }
    expect(response.model?.method).toBe(Method.METHOD_AR);
    expect(response.model?.coefficients).toHaveLength(response.model!.order);
    expect(response.inSample?.mase).toBeGreaterThan(0);
    expect(response.inSample?.mase).toBeLessThan(1);
    expect(response.timestampsMs[0]).toBe(Date.UTC(1958, 2 + 300, 1));
    expect(response.seed).toBe(7);
  });

  it('fits AR-Net when asked and reports its epochs', async () => {
    const response = await client.unary(
      'forecast',
      request({
        seed: 1,
        model: {
          method: Method.METHOD_ARNET,
          order: 13,
          arnet: { hiddenLayers: [], sparsity: 0.5, epochs: 30, learningRate: 0, batchSize: 0 },
        },
      }),
    );
    expect(response.model).toMatchObject({ method: Method.METHOD_ARNET, order: 13, epochs: 30 });
    expect(response.model?.coefficients).toHaveLength(13);
  });

  it('generates reproducible paths: same seed, same paths; another seed, other paths', async () => {
    const generate = (seed: number) =>
      client.unary('generate', {
        series: request().series,
        length: 24,
        numPaths: 3,
        model: { method: Method.METHOD_AR, order: 13 },
        seed,
        continueSeries: false,
      });
    const [a, b, c] = await Promise.all([generate(5), generate(5), generate(6)]);
    expect(a.paths).toHaveLength(3);
    expect(a.paths[0].values).toHaveLength(24);
    expect(b.paths).toEqual(a.paths);
    expect(c.paths).not.toEqual(a.paths);
  });

  it('answers bad input with INVALID_ARGUMENT naming the field and the limit, and keeps serving', async () => {
    const series = (values: number[]) => ({
      values,
      timestampsMs: [],
      frequency: '',
      seasonLength: 0,
    });
    await expectInvalidArgument(
      client.unary('forecast', request({ series: series([]) })),
      'series.values',
      /8 to 1000 values/,
    );
    await expectInvalidArgument(
      client.unary('forecast', request({ series: series([1, 2, 3]) })),
      'series.values',
      /8 to 1000/,
    );
    await expectInvalidArgument(
      client.unary('forecast', request({ series: series(new Array(1001).fill(1)) })),
      'series.values',
      /to 1000 values/,
    );
    const withNaN = [1, 2, 3, 4, 5, 6, 7, Number.NaN, 9, 10];
    await expectInvalidArgument(
      client.unary('forecast', request({ series: series(withNaN) })),
      'series.values[7]',
      /finite/,
    );
    const withInf = [1, 2, 3, 4, 5, 6, 7, 8, Number.POSITIVE_INFINITY, 10];
    await expectInvalidArgument(
      client.unary('forecast', request({ series: series(withInf) })),
      'series.values[8]',
      /finite/,
    );
    await expectInvalidArgument(
      client.unary('forecast', request({ horizon: 0 })),
      'horizon',
      /\[1, 500\]/,
    );
    await expectInvalidArgument(
      client.unary('forecast', request({ horizon: 501 })),
      'horizon',
      /\[1, 500\]/,
    );
    await expectInvalidArgument(
      client.unary('forecast', request({ quantiles: [0.5, 1] })),
      'quantiles[1]',
      /\(0, 1\)/,
    );
    await expectInvalidArgument(
      client.unary('forecast', request({ quantiles: [0] })),
      'quantiles[0]',
      /\(0, 1\)/,
    );
    await expectInvalidArgument(
      client.unary(
        'forecast',
        request({ model: { method: Method.METHOD_AR, order: 300 }, seed: 1 }),
      ),
      'model.order',
      /< series length 300/,
    );
    await expectInvalidArgument(
      client.unary(
        'forecast',
        request({ model: { method: Method.METHOD_AR, order: 200 }, seed: 1 }),
      ),
      'model.order',
      /<= 149 for 300 values/,
    );
    await expectInvalidArgument(
      client.unary(
        'forecast',
        request({ model: { method: 99 as unknown as timeseries.Method, order: 0 }, seed: 1 }),
      ),
      'model.method',
      /one of METHOD_AUTO/,
    );
    await expectInvalidArgument(
      client.unary('forecast', request({ series: { ...request().series!, timestampsMs: [3, 2] } })),
      'series.timestamps_ms',
      /one per value/,
    );
    // Still serving after all of that.
    const ok = await client.unary('forecast', request());
    expect(ok.point).toHaveLength(12);
  });

  it('refuses a request larger than the message limit without affecting other calls', async () => {
    const port = await freePort();
    const config = loadTimeSeriesConfig({
      GRPC_PORT: String(port),
      METRICS_PORT: '0',
      MAX_MESSAGE_BYTES: '4096',
    });
    const small = await startGrpcService(
      timeSeriesServiceDefinition(config.limits, config.chronos),
      config.service,
      {
        logger: new JsonLogger('timeseries', 'silent'),
        handleSignals: false,
      },
    );
    const smallClient: Client = new TypedGrpcClient(
      small.address,
      PROTO_FILES.timeseries,
      'nextx.timeseries.v1.TimeSeries',
    );
    try {
      const big = request({
        series: {
          values: new Array(5000).fill(1),
          timestampsMs: [],
          frequency: '',
          seasonLength: 0,
        },
      });
      const refused = await smallClient.unary('forecast', big).catch((e: ServiceError) => e);
      expect(refused).toMatchObject({
        code: status.RESOURCE_EXHAUSTED,
      });
      // Told apart from a full queue (also RESOURCE_EXHAUSTED) by its ErrorInfo reason.
      expect(readStatusDetails(refused as ServiceError)?.errorInfo).toMatchObject({
        reason: ErrorReason.MESSAGE_TOO_LARGE,
        domain: 'nextx',
        metadata: { limit_bytes: '4096' },
      });
      expect((await smallClient.unary('forecast', request())).point).toHaveLength(12);
    } finally {
      smallClient.close();
      await small.close();
    }
  });

  it('keeps answering health checks within 50 ms while an AR-Net fit runs (fits run in worker threads)', async () => {
    const slow = client.unary(
      'forecast',
      request({
        seed: 1,
        model: {
          method: Method.METHOD_ARNET,
          order: 48,
          arnet: { hiddenLayers: [64], sparsity: 0, epochs: 200, learningRate: 0, batchSize: 0 },
        },
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    const latencies = await healthCheckLatencies(service.address);
    const fitMs = (await slow).model!.fitMs;
    expect(fitMs).toBeGreaterThan(300);
    expect(Math.max(...latencies)).toBeLessThan(50);
  });

  it('lists its methods as models in the common ModelInfo shape, and GetModel finds each', async () => {
    const { models: list } = await client.unary('listModels', {});
    expect(list.map((m) => [m.model?.name, m.family])).toEqual([
      ['auto', ModelFamily.MODEL_FAMILY_AUTO],
      ['ar', ModelFamily.MODEL_FAMILY_AR],
      ['arnet', ModelFamily.MODEL_FAMILY_ARNET],
      ['chronos-corpus', ModelFamily.MODEL_FAMILY_CHRONOS],
    ]);
    expect(list[0].timeseries).toEqual({
      maxSeriesLength: 1000,
      maxHorizon: 500,
      contextLength: 0,
      maxPaths: 5000,
    });
    const { model } = await client.unary('getModel', { model: { name: 'arnet', version: '' } });
    expect(model?.description).toContain('AR-Net');
    const missing = (await client
      .unary('getModel', { model: { name: 'prophet', version: '' } })
      .catch((e: ServiceError) => e)) as ServiceError;
    expect(missing.code).toBe(status.NOT_FOUND);
    expect(readStatusDetails(missing)?.resourceInfo).toMatchObject({
      resourceType: 'time-series model',
      resourceName: 'prophet',
    });
  });

  it('reports SERVING through grpc.health.v1 for the server and the service', async () => {
    expect(await checkHealth(service.address)).toBe('SERVING');
    expect(await checkHealth(service.address, 'nextx.timeseries.v1.TimeSeries')).toBe('SERVING');
    expect(await checkHealth(service.address, 'nope.Unknown')).toBe('SERVICE_UNKNOWN');
  });

  it('lists the service and its methods through server reflection', async () => {
    const services = await describeServer(service.address);
    const ts = services.find((s) => s.name === 'nextx.timeseries.v1.TimeSeries');
    // ListModels / GetModel: the common model RPCs every service has.
    expect(ts?.methods.map((m) => m.name).sort()).toEqual([
      'Forecast',
      'Generate',
      'GetModel',
      'ListModels',
    ]);
    expect(services.map((s) => s.name)).toContain('grpc.health.v1.Health');
  });

  it('exposes call counts and latencies on /metrics and logs each call as JSON', async () => {
    await client.unary('forecast', request());
    const body = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
    const sample = (name: string, ...labels: string[]) =>
      body
        .split('\n')
        .filter(
          (line) => line.startsWith(`${name}{`) && labels.every((label) => line.includes(label)),
        )
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    const forecast = 'method="/nextx.timeseries.v1.TimeSeries/Forecast"';
    expect(
      sample('nextx_grpc_requests_total', forecast, 'code="OK"', 'service="timeseries"'),
    ).toBeGreaterThan(0);
    expect(
      sample('nextx_grpc_requests_total', forecast, 'code="INVALID_ARGUMENT"'),
    ).toBeGreaterThan(0);
    expect(sample('nextx_grpc_request_duration_seconds_count', forecast)).toBeGreaterThan(0);
    expect(sample('nextx_grpc_requests_in_flight', forecast)).toBe(0);
    const calls = logs
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((record) => record.msg === 'call');
    expect(
      calls.some((c) => c.method === '/nextx.timeseries.v1.TimeSeries/Forecast' && c.code === 'OK'),
    ).toBe(true);
  });
});
