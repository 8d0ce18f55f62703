import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type {
  ImageGenerateOutput,
  ImageGenerateTask,
  ImageInpaintTask,
  ImageProgress,
} from '@nextx/image';
import { WorkerPool, workerEntry } from '@nextx/runtime';
import { AdmissionQueue, GenerationMetrics, runAdmitted } from '@nextx/serving';
import type { ImageServiceSettings } from './config';
import { IMAGE_SETTINGS } from './tokens';

/**
 * Runs image generations on the worker pool behind the admission queue, and records queue
 * time, compute time, running/waiting and time to first progress.
 */
@Injectable()
export class ImageGenerationService implements OnModuleInit, OnApplicationShutdown {
  private readonly pool: WorkerPool;
  readonly queue: AdmissionQueue;

  constructor(
    @Inject(IMAGE_SETTINGS) settings: ImageServiceSettings,
    @Inject(GenerationMetrics) private readonly metrics: GenerationMetrics,
  ) {
    this.pool = new WorkerPool(
      workerEntry(import.meta.url, 'generation.worker'),
      settings.workers,
      settings,
    );
    this.queue = new AdmissionQueue('image generation', settings.maxRunning, settings.maxWaiting);
  }

  async onModuleInit(): Promise<void> {
    await this.pool.ready();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }

  /** Queues, runs and reports one generation; `signal` cancels it (queued or running). */
  generate(
    task: ImageGenerateTask,
    onProgress: (p: ImageProgress) => void,
    signal: AbortSignal,
  ): Promise<ImageGenerateOutput> {
    return this.run('generate', task, onProgress, signal);
  }

  /** Queues and runs one in-painting. */
  inpaint(task: ImageInpaintTask, signal: AbortSignal): Promise<{ png: Uint8Array }> {
    return this.run('inpaint', task, () => undefined, signal);
  }

  private run<R>(
    kind: string,
    task: { model: string },
    onProgress: (p: ImageProgress) => void,
    signal: AbortSignal,
  ): Promise<R> {
    return runAdmitted(
      { queue: this.queue, metrics: this.metrics, model: task.model, signal },
      (firstProgress) =>
        this.pool.run<R, ImageProgress>(kind, task, {
          signal,
          onProgress: (p) => {
            firstProgress();
            onProgress(p);
          },
        }),
    );
  }
}
