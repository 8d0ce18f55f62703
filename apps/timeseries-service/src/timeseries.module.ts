import { Module, type DynamicModule } from '@nestjs/common';
import { timeseries, PROTO_FILES } from '@nextx/proto';
import type { GrpcServiceDefinition } from '@nextx/grpc';
import type { TimeSeriesLimits } from './config';
import { FitWorkers } from './fit-workers';
import { TimeSeriesController } from './timeseries.controller';
import { TIMESERIES_LIMITS } from './tokens';

/** The time-series feature: its controller and limits. */
@Module({})
export class TimeSeriesModule {
  static forRoot(limits: TimeSeriesLimits): DynamicModule {
    return {
      module: TimeSeriesModule,
      controllers: [TimeSeriesController],
      providers: [{ provide: TIMESERIES_LIMITS, useValue: limits }, FitWorkers],
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
