import { Module, type DynamicModule } from '@nestjs/common';
import { timeseries, PROTO_FILES } from '@nextx/proto';
import type { GrpcServiceDefinition } from '@nextx/grpc';
import { ModelRepository, workerEntry } from '@nextx/runtime';
import { generationProviders } from '@nextx/serving';
import { ChronosCatalog, type ChronosTasks, type TimeSeriesTasks } from '@nextx/timeseries';
import type { ChronosSettings, TimeSeriesLimits } from './config';
import { TimeSeriesController } from './timeseries.controller';
import {
  TIMESERIES_CHRONOS,
  TIMESERIES_CHRONOS_CATALOG,
  TIMESERIES_CHRONOS_SETTINGS,
  TIMESERIES_FITS,
  TIMESERIES_LIMITS,
} from './tokens';

/**
 * The time-series feature: its controller, limits, the fits (worker pool behind a queue) and the
 * pretrained forecasters (their own pool and queue).
 */
@Module({})
export class TimeSeriesModule {
  static forRoot(limits: TimeSeriesLimits, chronos: ChronosSettings): DynamicModule {
    return {
      module: TimeSeriesModule,
      controllers: [TimeSeriesController],
      providers: [
        { provide: TIMESERIES_LIMITS, useValue: limits },
        { provide: TIMESERIES_CHRONOS_SETTINGS, useValue: chronos },
        {
          provide: TIMESERIES_CHRONOS_CATALOG,
          useFactory: () => ChronosCatalog.load(new ModelRepository(chronos.modelsDir)),
        },
        ...generationProviders<ChronosTasks>(TIMESERIES_CHRONOS, {
          name: 'time-series pretrained forecasts',
          worker: workerEntry(import.meta.url, 'chronos.worker'),
          workers: chronos.workers,
          workerData: chronos,
          maxRunning: chronos.maxRunning,
          maxWaiting: chronos.maxWaiting,
        }),
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
export function timeSeriesServiceDefinition(
  limits: TimeSeriesLimits,
  chronos: ChronosSettings,
): GrpcServiceDefinition {
  return {
    name: 'timeseries',
    module: TimeSeriesModule.forRoot(limits, chronos),
    packages: [timeseries.protobufPackage],
    protoFiles: [PROTO_FILES.timeseries],
    serviceNames: [`${timeseries.protobufPackage}.${timeseries.TIME_SERIES_SERVICE_NAME}`],
  };
}
