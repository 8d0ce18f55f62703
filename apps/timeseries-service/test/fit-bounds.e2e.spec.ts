import { status, type ServiceError } from '@grpc/grpc-js';
import {
  JsonLogger,
  readStatusDetails,
  startGrpcService,
  TypedGrpcClient,
  type RunningGrpcService,
} from '@nextx/grpc';
import { freePort } from '@nextx/grpc/testing';
import { PROTO_FILES, timeseries } from '@nextx/proto';
import { loadCo2 } from '@nextx/timeseries/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTimeSeriesConfig } from '../src/config';
import { timeSeriesServiceDefinition } from '../src/timeseries.module';

const { Method } = timeseries;
type Client = TypedGrpcClient<timeseries.TimeSeriesClient>;

const co2 = loadCo2();
/** A series of `length` values built from the CO₂ record (repeated), so every fit is real work. */
const seriesOf = (length: number) => Array.from({ length }, (_, i) => co2[i % co2.length]);

function forecast(values: number[], model: timeseries.ModelSpec): timeseries.ForecastRequest {
  return {
    series: { values, timestampsMs: [], frequency: '', seasonLength: 12 },
    horizon: 6,
    quantiles: [],
    model,
    numPaths: 10,
    seed: 3,
    holdout: [],
  };
}

const arnet = (hiddenLayers: number[], epochs: number) => ({
  method: Method.METHOD_ARNET,
  order: 24,
  arnet: { hiddenLayers, sparsity: 0, epochs, learningRate: 0, batchSize: 0 },
});

/** Gives the huge request (160 kB) time to arrive and take the one slot before the small one. */
const admitted = () => new Promise((resolve) => setTimeout(resolve, 100));

const failure = (call: Promise<unknown>) =>
  call.then(
    () => undefined,
    (e: ServiceError) => e,
  );

// One worker and one running fit: whatever holds the worker holds every later call.
describe('timeseries-service bounds its fits', () => {
  let service: RunningGrpcService;
  let client: Client;

  beforeAll(async () => {
    const config = loadTimeSeriesConfig({
      GRPC_PORT: String(await freePort()),
      METRICS_PORT: '0',
      TS_WORKERS: '1',
      TS_MAX_RUNNING: '1',
      TS_MAX_FIT_COST: String(1e12),
    });
    service = await startGrpcService(
      timeSeriesServiceDefinition(config.limits, config.chronos),
      config.service,
      {
        logger: new JsonLogger('timeseries', 'warn'),
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

  it('refuses a fit over the work limit before it starts, naming the field and the limit', async () => {
    // 19,976 rows × (25·1024 + 1025·1) weights × 2,000 epochs ≈ 1.06e12 > 1e12.
    const error = await failure(
      client.unary('forecast', forecast(seriesOf(20_000), arnet([1024], 2000))),
    );
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    const violation = readStatusDetails(error!)?.badRequest?.fieldViolations?.[0];
    expect(violation?.field).toBe('model.arnet');
    expect(violation?.description).toContain('TS_MAX_FIT_COST');
  });

  /**
   * How a huge call and a small one queued behind it end, in the order they end: the small one
   * is answered only once the huge fit has let the one worker go.
   */
  async function endings(huge: Promise<ServiceError | undefined>): Promise<string[]> {
    const order: string[] = [];
    const hugeDone = huge.then((e) => order.push(`huge ${e ? status[e.code] : 'OK'}`));
    await admitted();
    const small = client
      .unary('forecast', forecast(seriesOf(300), { method: Method.METHOD_AR, order: 2 }))
      .then((r) => order.push(`small ${r.point.length}`));
    await Promise.all([hugeDone, small]);
    return order;
  }

  it('stops a huge fit when its deadline passes, so the next small call is answered', async () => {
    // About 5e11 weight updates: minutes of training if it ran to the end.
    const huge = failure(
      client.unary('forecast', forecast(seriesOf(20_000), arnet([512], 1800)), { timeoutMs: 300 }),
    );
    expect(await endings(huge)).toEqual(['huge DEADLINE_EXCEEDED', 'small 6']);
  });

  it('stops a huge fit its client cancels', async () => {
    const controller = new AbortController();
    const huge = failure(
      client.unary(
        'generate',
        {
          series: { values: seriesOf(20_000), timestampsMs: [], frequency: '', seasonLength: 12 },
          length: 10,
          numPaths: 1,
          continueSeries: true,
          model: arnet([512], 1800),
          seed: 1,
        },
        { signal: controller.signal },
      ),
    );
    setTimeout(() => controller.abort(), 300);
    expect(await endings(huge)).toEqual(['huge CANCELLED', 'small 6']);
  });
});
