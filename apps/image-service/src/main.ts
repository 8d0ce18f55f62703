import 'reflect-metadata';
import { runGrpcServiceMain } from '@nextx/grpc';
import { loadImageConfig } from './config';
import { imageServiceDefinition } from './image.module';

runGrpcServiceMain('image-service', () => {
  const config = loadImageConfig(process.env);
  return { definition: imageServiceDefinition(config.image), config: config.service };
});
