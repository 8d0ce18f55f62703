import { describeOverload } from '@nextx/grpc/testing';
import { PROTO_FILES, timeseries } from '@nextx/proto';

const values = Array.from(
  { length: 240 },
  (_, i) => 10 + Math.sin((2 * Math.PI * i) / 12) + 0.01 * i,
);

describeOverload<timeseries.TimeSeriesClient>({
  name: 'timeseries-service',
  entry: 'apps/timeseries-service/src/main.ts',
  env: { TS_WORKERS: '2', TS_MAX_RUNNING: '2', TS_MAX_WAITING: '2' },
  concurrency: 2,
  protoFile: PROTO_FILES.timeseries,
  service: 'nextx.timeseries.v1.TimeSeries',
  maxRssMiB: 1536,
  call: (client) =>
    client.unary('forecast', {
      series: { values, timestampsMs: [], frequency: '', seasonLength: 12 },
      horizon: 12,
      quantiles: [],
      model: { method: timeseries.Method.METHOD_AR, order: 12 },
      numPaths: 50,
      seed: 3,
      holdout: [],
    }),
});
