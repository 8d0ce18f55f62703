import 'reflect-metadata';
import { ConfigError, startGrpcService } from '@nextx/grpc';
import { loadTimeSeriesConfig } from './config';
import { timeSeriesServiceDefinition } from './timeseries.module';

async function main(): Promise<void> {
  const config = loadTimeSeriesConfig(process.env);
  await startGrpcService(timeSeriesServiceDefinition(config.limits), config.service);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`timeseries-service failed to start: ${message}\n`);
  process.exit(1);
});
