import { Module, type DynamicModule } from '@nestjs/common';
import { AudioCatalog, type AudioTasks } from '@nextx/audio';
import type { GrpcServiceDefinition } from '@nextx/grpc';
import { audio, PROTO_FILES } from '@nextx/proto';
import { ModelRepository, workerEntry } from '@nextx/runtime';
import { generationProviders } from '@nextx/serving';
import { AudioController } from './audio.controller';
import type { AudioServiceSettings } from './config';
import { AUDIO_CATALOG, AUDIO_GENERATION, AUDIO_SETTINGS } from './tokens';

/** The audio feature: catalog, generation service (worker pool + queue), controller. */
@Module({})
export class AudioModule {
  static forRoot(settings: AudioServiceSettings): DynamicModule {
    return {
      module: AudioModule,
      controllers: [AudioController],
      providers: [
        { provide: AUDIO_SETTINGS, useValue: settings },
        {
          provide: AUDIO_CATALOG,
          useFactory: () => AudioCatalog.load(new ModelRepository(settings.modelsDir)),
        },
        ...generationProviders<AudioTasks>(AUDIO_GENERATION, {
          name: 'audio generation',
          worker: workerEntry(import.meta.url, 'generation.worker'),
          workers: settings.workers,
          workerData: settings,
          maxRunning: settings.maxRunning,
          maxWaiting: settings.maxWaiting,
        }),
      ],
    };
  }
}

/** How the platform starts this service. */
export function audioServiceDefinition(settings: AudioServiceSettings): GrpcServiceDefinition {
  return {
    name: 'audio',
    module: AudioModule.forRoot(settings),
    packages: [audio.protobufPackage],
    protoFiles: [PROTO_FILES.audio],
    serviceNames: [`${audio.protobufPackage}.${audio.AUDIO_GENERATION_SERVICE_NAME}`],
  };
}
