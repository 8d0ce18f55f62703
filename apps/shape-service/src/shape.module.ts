import { Module, type DynamicModule } from '@nestjs/common';
import type { GrpcServiceDefinition } from '@nextx/grpc';
import { PROTO_FILES, shape } from '@nextx/proto';
import { ModelRepository, workerEntry } from '@nextx/runtime';
import { generationProviders } from '@nextx/serving';
import { ShapeCatalog, type ShapeTasks } from '@nextx/shape';
import type { ShapeServiceSettings } from './config';
import { ShapeController } from './shape.controller';
import { SHAPE_CATALOG, SHAPE_GENERATION, SHAPE_SETTINGS } from './tokens';

/** The shape feature: catalog, generation service (worker pool + queue), controller. */
@Module({})
export class ShapeModule {
  static forRoot(settings: ShapeServiceSettings): DynamicModule {
    return {
      module: ShapeModule,
      controllers: [ShapeController],
      providers: [
        { provide: SHAPE_SETTINGS, useValue: settings },
        {
          provide: SHAPE_CATALOG,
          useFactory: () => ShapeCatalog.load(new ModelRepository(settings.modelsDir)),
        },
        ...generationProviders<ShapeTasks>(SHAPE_GENERATION, {
          name: 'shape generation',
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
export function shapeServiceDefinition(settings: ShapeServiceSettings): GrpcServiceDefinition {
  return {
    name: 'shape',
    module: ShapeModule.forRoot(settings),
    packages: [shape.protobufPackage],
    protoFiles: [PROTO_FILES.shape],
    serviceNames: [`${shape.protobufPackage}.${shape.SHAPE_GENERATION_SERVICE_NAME}`],
  };
}
