import { status, type ServiceError } from '@grpc/grpc-js';
import {
  JsonLogger,
  startGrpcService,
  TypedGrpcClient,
  type RunningGrpcService,
} from '@nextx/grpc';
import { freePort, healthCheckLatencies, expectInvalidArgument } from '@nextx/grpc/testing';
import { models, PROTO_FILES, timeseries } from '@nextx/proto';
import { mase } from '@nextx/timeseries';
import { loadCo2 } from '@nextx/timeseries/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTimeSeriesConfig } from '../src/config';
import { timeSeriesServiceDefinition } from '../src/timeseries.module';

const { Method } = timeseries;
type Client = TypedGrpcClient<timeseries.TimeSeriesClient>;
const co2 = loadCo2();
const train = co2.slice(0, -24);
const test = co2.slice(-24);

function chronosRequest(
  overrides: Partial<timeseries.ForecastRequest> = {},
  chronos: Partial<timeseries.ChronosOptions> = {},
): timeseries.ForecastRequest {
  return {
    series: { values: train, timestampsMs: [], frequency: 'MS', seasonLength: 12 },
    horizon: 24,
    quantiles: [0.1, 0.5, 0.9],
    model: {
      method: Method.METHOD_CHRONOS,
      order: 0,
      chronos: { model: '', temperature: 0, topK: 0, topP: 0, ...chronos },
    },
    numPaths: 0,
    seed: 3,
    holdout: [],
    ...overrides,
  };
}

describe('timeseries-service METHOD_CHRONOS (the committed chronos-corpus model) over gRPC', () => {
  let service: RunningGrpcService;
  let client: Client;

  beforeAll(async () => {
    const config = loadTimeSeriesConfig({
      GRPC_PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
    });
    service = await startGrpcService(
      timeSeriesServiceDefinition(config.limits, config.chronos),
      config.service,
      { logger: new JsonLogger('timeseries', 'silent'), handleSignals: false },
    );
    client = new TypedGrpcClient(
      service.address,
      PROTO_FILES.timeseries,
      'nextx.timeseries.v1.TimeSeries',
    );
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  it('ListModels shows the pretrained forecaster with its limits, defaults and recorded eval', async () => {
    const { model } = await client.unary('getModel', {
      model: { name: 'chronos-corpus', version: '' },
    });
    expect(model?.family).toBe(models.ModelFamily.MODEL_FAMILY_CHRONOS);
    expect(model?.timeseries).toMatchObject({ maxHorizon: 64, contextLength: 256, maxPaths: 80 });
    expect(model?.defaults).toMatchObject({ topK: 200 });
    expect(model?.quality?.eval).toBeDefined();
  });

  it('a forecast is deterministic for a seed, quantiles are monotone, the holdout is scored', async () => {
    const a = await client.unary('forecast', chronosRequest({ holdout: test }));
    const b = await client.unary('forecast', chronosRequest({ holdout: test }));
    expect(a.point).toEqual(b.point);
    expect(a.quantiles).toEqual(b.quantiles);
    expect(a.point).toHaveLength(24);
    const [q10, q50, q90] = a.quantiles.map((q) => q.values);
    for (let h = 0; h < 24; h++) {
      expect(q10[h]).toBeLessThanOrEqual(q50[h]);
      expect(q50[h]).toBeLessThanOrEqual(q90[h]);
    }
    expect(a.model).toMatchObject({
      method: Method.METHOD_CHRONOS,
      pretrained: { name: 'chronos-corpus', version: '1' },
      contextLength: 256,
    });
    expect(a.seed).toBe(3);
    // The service's MASE is the library's on the same point forecast.
    expect(a.holdoutScores?.points).toBe(24);
    expect(a.holdoutScores?.mase).toBeCloseTo(mase(test, a.point, train, 12), 9);
    expect(a.holdoutScores?.wql).toBeGreaterThan(0);
    expect(a.holdoutScores?.crps).toBeGreaterThan(0);
    const other = await client.unary('forecast', chronosRequest({ seed: 4 }));
    expect(other.point).not.toEqual(a.point);
  });

  it('a series longer than the context is cut to its last 256 values, as documented', async () => {
    const whole = await client.unary('forecast', chronosRequest({ horizon: 8 }));
    const tail = await client.unary(
      'forecast',
      chronosRequest({
        horizon: 8,
        series: { values: train.slice(-256), timestampsMs: [], frequency: 'MS', seasonLength: 12 },
      }),
    );
    expect(whole.point).toEqual(tail.point);
    const short = await client.unary(
      'forecast',
      chronosRequest({
        horizon: 8,
        series: { values: train.slice(-40), timestampsMs: [], frequency: 'MS', seasonLength: 12 },
      }),
    );
    expect(short.model?.contextLength).toBe(40);
  });

  it('answers health while 16 concurrent 20-path forecasts run, and all 16 complete', async () => {
    const started = Date.now();
    const calls = Array.from({ length: 16 }, (_, i) =>
      client.unary('forecast', chronosRequest({ seed: 100 + i, numPaths: 20, horizon: 48 })),
    );
    const latencies = await healthCheckLatencies(service.address, 20);
    const results = await Promise.all(calls);
    const elapsed = Date.now() - started;
    expect(results.every((r) => r.point.length === 48)).toBe(true);
    expect(new Set(results.map((r) => r.point.join())).size).toBe(16);
    console.log(
      `16 concurrent 20-path 48-step forecasts: ${elapsed} ms in all; health p100 ${Math.max(...latencies).toFixed(1)} ms over ${latencies.length} checks`,
    );
  });

  it('Generate samples continuation paths; a fresh-sample request is refused', async () => {
    const generated = await client.unary('generate', {
      series: { values: train, timestampsMs: [], frequency: 'MS', seasonLength: 12 },
      length: 12,
      numPaths: 5,
      model: chronosRequest().model,
      continueSeries: true,
      seed: 9,
    });
    expect(generated.paths).toHaveLength(5);
    expect(generated.paths.every((p) => p.values.length === 12)).toBe(true);
    await expectInvalidArgument(
      client.unary('generate', {
        series: { values: train, timestampsMs: [], frequency: 'MS', seasonLength: 12 },
        length: 12,
        numPaths: 5,
        model: chronosRequest().model,
        continueSeries: false,
        seed: 9,
      }),
      'continue_series',
      /true for METHOD_CHRONOS/,
    );
  });

  it('bad input names the field and the limit; an unknown model is NOT_FOUND; the service keeps serving', async () => {
    await expectInvalidArgument(
      client.unary('forecast', chronosRequest({ horizon: 65 })),
      'horizon',
      /64/,
    );
    await expectInvalidArgument(
      client.unary('forecast', chronosRequest({ numPaths: 81 })),
      'num_paths',
      /80/,
    );
    await expectInvalidArgument(
      client.unary('forecast', chronosRequest({ holdout: co2.slice(0, 25) })),
      'holdout',
      /24/,
    );
    await expectInvalidArgument(
      client.unary('forecast', chronosRequest({}, { topK: 5000 })),
      'model.chronos.top_k',
      /1026/,
    );
    await expectInvalidArgument(
      client.unary('forecast', {
        ...chronosRequest(),
        model: { ...chronosRequest().model!, order: 3 },
      }),
      'model.order',
      /0 for METHOD_CHRONOS/,
    );
    const missing = (await client
      .unary('forecast', chronosRequest({}, { model: 'chronos-large' }))
      .catch((e: ServiceError) => e)) as ServiceError;
    expect(missing.code).toBe(status.NOT_FOUND);
    expect((await client.unary('forecast', chronosRequest({ horizon: 4 }))).point).toHaveLength(4);
  });

  it('every method scores a holdout the same way (AR here)', async () => {
    const ar = await client.unary('forecast', {
      ...chronosRequest({ holdout: test, numPaths: 200 }),
      model: { method: Method.METHOD_AR, order: 0 },
    });
    expect(ar.holdoutScores?.points).toBe(24);
    expect(ar.holdoutScores?.mase).toBeCloseTo(mase(test, ar.point, train, 12), 9);
    expect(ar.holdoutScores?.crpsScaled).toBeGreaterThan(0);
  });
});
