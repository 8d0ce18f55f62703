import 'reflect-metadata';
import { runGrpcServiceMain } from '@nextx/grpc';
import { loadVideoConfig } from './config';
import { videoServiceDefinition } from './video.module';

runGrpcServiceMain('video-service', () => {
  const config = loadVideoConfig(process.env);
  return { definition: videoServiceDefinition(config.video, config.jobs), config: config.service };
});
