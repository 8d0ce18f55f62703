import 'reflect-metadata';
import { runGrpcServiceMain } from '@nextx/grpc';
import { loadShapeConfig } from './config';
import { shapeServiceDefinition } from './shape.module';

runGrpcServiceMain('shape-service', () => {
  const config = loadShapeConfig(process.env);
  return { definition: shapeServiceDefinition(config.shape), config: config.service };
});
