import 'reflect-metadata';
import { runGrpcServiceMain } from '@nextx/grpc';
import { audioServiceDefinition } from './audio.module';
import { loadAudioConfig } from './config';

runGrpcServiceMain('audio-service', () => {
  const config = loadAudioConfig(process.env);
  return { definition: audioServiceDefinition(config.audio), config: config.service };
});
