import 'reflect-metadata';
import { ConfigError, startGrpcService } from '@nextx/grpc';
import { loadImageConfig } from './config';
import { imageServiceDefinition } from './image.module';

async function main(): Promise<void> {
  const config = loadImageConfig(process.env);
  await startGrpcService(imageServiceDefinition(config.image), config.service);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`image-service failed to start: ${message}\n`);
  process.exit(1);
});
