import { JsonLogger, startGrpcService } from '@nextx/grpc';
import { describeGrpcurl, freePort, grpcurl } from '@nextx/grpc/testing';
import { loadCo2 } from '@nextx/timeseries/testing';
import { expect, it } from 'vitest';
import { loadTimeSeriesConfig } from '../src/config';
import { timeSeriesServiceDefinition } from '../src/timeseries.module';

const SERVICE = 'nextx.timeseries.v1.TimeSeries';

describeGrpcurl({
  name: 'timeseries-service',
  service: SERVICE,
  rpc: 'rpc Forecast ( .nextx.timeseries.v1.ForecastRequest ) returns ( .nextx.timeseries.v1.ForecastResponse );',
  request: {
    message: 'nextx.timeseries.v1.ForecastRequest',
    field: /\.nextx\.timeseries\.v1\.Series series = 1;/,
  },
  models: ['auto', 'ar', 'arnet'],
  start: async () => {
    const config = loadTimeSeriesConfig({ GRPC_PORT: String(await freePort()), METRICS_PORT: '0' });
    return startGrpcService(
      timeSeriesServiceDefinition(config.limits, config.chronos),
      config.service,
      {
        logger: new JsonLogger('timeseries', 'warn'),
        handleSignals: false,
      },
    );
  },
  more: (address) => {
    it('calls Forecast with a JSON request', async () => {
      const response = JSON.parse(
        await grpcurl(address(), [`${SERVICE}/Forecast`], {
          series: { values: loadCo2().slice(0, 120), seasonLength: 12 },
          horizon: 3,
          quantiles: [0.5],
          model: { method: 'METHOD_AR', order: 2 },
        }),
      );
      expect(response.point).toHaveLength(3);
      expect(response.model).toMatchObject({ method: 'METHOD_AR', order: 2 });
    });

    it("reads a missing model's ResourceInfo", async () => {
      // grpcurl decodes the google.rpc details of grpc-status-details-bin, their types found
      // through reflection like everything else.
      const refused = await grpcurl(address(), [`${SERVICE}/GetModel`], {
        model: { name: 'prophet' },
      }).catch((e: Error) => e.message);
      expect(refused).toContain('"@type": "type.googleapis.com/google.rpc.ResourceInfo"');
      expect(refused).toContain('"resourceName": "prophet"');
    });
  },
});
