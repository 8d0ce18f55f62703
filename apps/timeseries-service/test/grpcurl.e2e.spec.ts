import { JsonLogger, startGrpcService, type RunningGrpcService } from '@nextx/grpc';
import { freePort, grpcHealthProbe, grpcurl } from '@nextx/grpc/testing';
import { loadCo2 } from '@nextx/timeseries/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTimeSeriesConfig } from '../src/config';
import { timeSeriesServiceDefinition } from '../src/timeseries.module';

const SERVICE = 'nextx.timeseries.v1.TimeSeries';

// grpcurl and grpc-health-probe know nothing of nextx but what reflection and health serve, as
// any third-party client; tools/install.sh builds them, and a missing one fails these tests.
describe('timeseries-service through grpcurl and grpc-health-probe', () => {
  let service: RunningGrpcService;

  beforeAll(async () => {
    const config = loadTimeSeriesConfig({ GRPC_PORT: String(await freePort()), METRICS_PORT: '0' });
    service = await startGrpcService(timeSeriesServiceDefinition(config.limits), config.service, {
      logger: new JsonLogger('timeseries', 'warn'),
      handleSignals: false,
    });
  });

  afterAll(async () => {
    await service?.close();
  });

  it('lists the time-series and health services', async () => {
    expect((await grpcurl(service.address, ['list'])).trim().split('\n')).toEqual([
      'grpc.health.v1.Health',
      SERVICE,
    ]);
  });

  it('describes the service, a request, and health', async () => {
    expect(await grpcurl(service.address, ['describe', SERVICE])).toContain(
      'rpc Forecast ( .nextx.timeseries.v1.ForecastRequest ) returns ( .nextx.timeseries.v1.ForecastResponse );',
    );
    expect(
      await grpcurl(service.address, ['describe', 'nextx.timeseries.v1.ForecastRequest']),
    ).toMatch(/\.nextx\.timeseries\.v1\.Series series = 1;/);
    expect(await grpcurl(service.address, ['describe', 'grpc.health.v1.Health'])).toContain(
      'rpc Check ( .grpc.health.v1.HealthCheckRequest ) returns ( .grpc.health.v1.HealthCheckResponse );',
    );
  });

  it('calls Forecast with a JSON request', async () => {
    const response = JSON.parse(
      await grpcurl(service.address, [`${SERVICE}/Forecast`], {
        series: { values: loadCo2().slice(0, 120), seasonLength: 12 },
        horizon: 3,
        quantiles: [0.5],
        model: { method: 'METHOD_AR', order: 2 },
      }),
    );
    expect(response.point).toHaveLength(3);
    expect(response.model).toMatchObject({ method: 'METHOD_AR', order: 2 });
  });

  it("lists the fitting methods through the common ListModels and reads a missing model's ResourceInfo", async () => {
    const { models } = JSON.parse(await grpcurl(service.address, [`${SERVICE}/ListModels`], {}));
    expect(models.map((m: { model: { name: string } }) => m.model.name)).toEqual([
      'auto',
      'ar',
      'arnet',
    ]);
    // grpcurl decodes the google.rpc details of grpc-status-details-bin, their types found
    // through reflection like everything else.
    const refused = await grpcurl(service.address, [`${SERVICE}/GetModel`], {
      model: { name: 'prophet' },
    }).catch((e: Error) => e.message);
    expect(refused).toContain('"@type": "type.googleapis.com/google.rpc.ResourceInfo"');
    expect(refused).toContain('"resourceName": "prophet"');
  });

  it('grpc-health-probe sees the server and the service SERVING', async () => {
    expect(await grpcHealthProbe(service.address)).toContain('status: SERVING');
    expect(await grpcHealthProbe(service.address, SERVICE)).toContain('status: SERVING');
  });
});
