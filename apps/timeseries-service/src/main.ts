import 'reflect-metadata';
import { runGrpcServiceMain } from '@nextx/grpc';
import { loadTimeSeriesConfig } from './config';
import { timeSeriesServiceDefinition } from './timeseries.module';

runGrpcServiceMain('timeseries-service', () => {
  const config = loadTimeSeriesConfig(process.env);
  return {
    definition: timeSeriesServiceDefinition(config.limits, config.chronos),
    config: config.service,
  };
});
