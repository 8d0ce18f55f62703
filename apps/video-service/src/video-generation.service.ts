import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { WorkerPool, workerEntry } from '@nextx/runtime';
import { AdmissionQueue, GenerationMetrics, runAdmitted } from '@nextx/serving';
import type { VideoClipOutput, VideoClipTask, VideoFrameProgress } from '@nextx/video';
import type { VideoServiceSettings } from './config';
import { VIDEO_SETTINGS } from './tokens';

/**
 * Runs clip generations on the worker pool behind the admission queue, and records queue
 * time, compute time, running/waiting and time to the first frame.
 */
@Injectable()
export class VideoGenerationService implements OnModuleInit, OnApplicationShutdown {
  private readonly pool: WorkerPool;
  readonly queue: AdmissionQueue;

  constructor(
    @Inject(VIDEO_SETTINGS) settings: VideoServiceSettings,
    @Inject(GenerationMetrics) private readonly metrics: GenerationMetrics,
  ) {
    this.pool = new WorkerPool(
      workerEntry(import.meta.url, 'generation.worker'),
      settings.workers,
      settings,
    );
    this.queue = new AdmissionQueue('video generation', settings.maxRunning, settings.maxWaiting);
  }

  async onModuleInit(): Promise<void> {
    await this.pool.ready();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }

  /** Queues, runs and reports one clip; `signal` cancels it (queued or running). */
  generate(
    task: VideoClipTask,
    onFrame: (frame: VideoFrameProgress) => void,
    signal: AbortSignal,
  ): Promise<VideoClipOutput> {
    return runAdmitted(
      { queue: this.queue, metrics: this.metrics, model: task.model, signal },
      (firstProgress) =>
        this.pool.run<VideoClipOutput, VideoFrameProgress>('clip', task, {
          signal,
          onProgress: (frame) => {
            firstProgress();
            onFrame(frame);
          },
        }),
    );
  }
}
