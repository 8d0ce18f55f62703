import { Module, type DynamicModule } from '@nestjs/common';
import type { GrpcServiceDefinition } from '@nextx/grpc';
import { ModelRepository, workerEntry } from '@nextx/runtime';
import { generationProviders } from '@nextx/serving';
import { type VideoTasks, VideoCatalog } from '@nextx/video';
import type { JobsConfig } from '@nextx/jobs';
import { PROTO_FILES, video } from '@nextx/proto';
import type { VideoServiceSettings } from './config';
import { VideoController } from './video.controller';
import { VideoJobsService } from './video-jobs.service';
import { JOBS_CONFIG, VIDEO_CATALOG, VIDEO_GENERATION, VIDEO_SETTINGS } from './tokens';

/** The video feature: catalog, clip generation (worker pool + queue), jobs over Kafka, controller. */
@Module({})
export class VideoModule {
  static forRoot(
    settings: VideoServiceSettings,
    jobsConfig: JobsConfig | undefined,
  ): DynamicModule {
    return {
      module: VideoModule,
      controllers: [VideoController],
      providers: [
        { provide: VIDEO_SETTINGS, useValue: settings },
        { provide: JOBS_CONFIG, useValue: jobsConfig },
        {
          provide: VIDEO_CATALOG,
          useFactory: () => VideoCatalog.load(new ModelRepository(settings.modelsDir)),
        },
        ...generationProviders<VideoTasks>(VIDEO_GENERATION, {
          name: 'video generation',
          worker: workerEntry(import.meta.url, 'generation.worker'),
          workers: settings.workers,
          workerData: settings,
          maxRunning: settings.maxRunning,
          maxWaiting: settings.maxWaiting,
        }),
        VideoJobsService,
      ],
    };
  }
}

/** How the platform starts this service. */
export function videoServiceDefinition(
  settings: VideoServiceSettings,
  jobsConfig: JobsConfig | undefined,
): GrpcServiceDefinition {
  return {
    name: 'video',
    module: VideoModule.forRoot(settings, jobsConfig),
    packages: [video.protobufPackage],
    protoFiles: [PROTO_FILES.video],
    serviceNames: [`${video.protobufPackage}.${video.VIDEO_GENERATION_SERVICE_NAME}`],
  };
}
