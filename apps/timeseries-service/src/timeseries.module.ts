import { Module, type DynamicModule } from '@nestjs/common';
import { timeseries, PROTO_FILES } from '@nextx/proto';
import type { GrpcServiceDefinition } from '@nextx/grpc';
import { workerEntry } from '@nextx/runtime';
import { generationProviders } from '@nextx/serving';
import type { TimeSeriesTasks } from '@nextx/timeseries';
import type { TimeSeriesLimits } from './config';
import { TimeSeriesController } from './timeseries.controller';
import { TIMESERIES_FITS, TIMESERIES_LIMITS } from './tokens';

/** The time-series feature: its controller, limits, and the fits (worker pool behind a queue). */
@Module({})
export class TimeSeriesModule {
  static forRoot(limits: TimeSeriesLimits): DynamicModule {
    return {
      module: TimeSeriesModule,
      controllers: [TimeSeriesController],
      providers: [
        { provide: TIMESERIES_LIMITS, useValue: limits },
        ...generationProviders<TimeSeriesTasks>(TIMESERIES_FITS, {
          name: 'time-series fits',
          worker: workerEntry(import.meta.url, 'fit.worker'),
          workers: limits.workers,
          workerData: {},
          maxRunning: limits.maxRunning,
          maxWaiting: limits.maxWaiting,
        }),
      ],
    };
  }
}

/** How the platform starts this service. */
export function timeSeriesServiceDefinition(limits: TimeSeriesLimits): GrpcServiceDefinition {
  return {
    name: 'timeseries',
    module: TimeSeriesModule.forRoot(limits),
    packages: [timeseries.protobufPackage],
    protoFiles: [PROTO_FILES.timeseries],
    serviceNames: [`${timeseries.protobufPackage}.${timeseries.TIME_SERIES_SERVICE_NAME}`],
  };
}
