import { Module, type DynamicModule } from '@nestjs/common';
import type { GrpcServiceDefinition } from '@nextx/grpc';
import { type ImageTasks, ImageCatalog } from '@nextx/image';
import { ModelRepository, workerEntry } from '@nextx/runtime';
import { generationProviders } from '@nextx/serving';
import { image, PROTO_FILES } from '@nextx/proto';
import type { ImageServiceSettings } from './config';
import { ImageController } from './image.controller';
import { IMAGE_CATALOG, IMAGE_GENERATION, IMAGE_SETTINGS } from './tokens';

/** The image feature: catalog, generation service (worker pool + queue), controller. */
@Module({})
export class ImageModule {
  static forRoot(settings: ImageServiceSettings): DynamicModule {
    return {
      module: ImageModule,
      controllers: [ImageController],
      providers: [
        { provide: IMAGE_SETTINGS, useValue: settings },
        {
          provide: IMAGE_CATALOG,
          useFactory: () => ImageCatalog.load(new ModelRepository(settings.modelsDir)),
        },
        ...generationProviders<ImageTasks>(IMAGE_GENERATION, {
          name: 'image generation',
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
export function imageServiceDefinition(settings: ImageServiceSettings): GrpcServiceDefinition {
  return {
    name: 'image',
    module: ImageModule.forRoot(settings),
    packages: [image.protobufPackage],
    protoFiles: [PROTO_FILES.image],
    serviceNames: [`${image.protobufPackage}.${image.IMAGE_GENERATION_SERVICE_NAME}`],
  };
}
