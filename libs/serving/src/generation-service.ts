import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  WorkerPool,
  type RunOptions,
  type TaskKind,
  type TaskMap,
  type WorkerEntry,
} from '@nextx/runtime';
import { AdmissionQueue } from './admission-queue';
import { runAdmitted } from './admitted-run';
import type { GenerationMetrics } from './generation-metrics';

/** How a {@link GenerationService} runs its modality's tasks. */
export interface GenerationServiceOptions {
  /** What is queued, for messages ("image generation"). */
  readonly name: string;
  /** The modality's generation worker entry (it serves the task map `M`). */
  readonly worker: WorkerEntry;
  /** Worker threads. */
  readonly workers: number;
  /** Handed to every worker as its `workerData`. */
  readonly workerData: unknown;
  /** Generations running at once. */
  readonly maxRunning: number;
  /** Generations waiting beyond that; more are refused with RESOURCE_EXHAUSTED. */
  readonly maxWaiting: number;
}

/**
 * Runs a modality's generation tasks on a worker pool behind an admission queue, and records
 * queue time, compute time, running/waiting and time to the first progress event. Every
 * generating service (image, video, …) is one of these with its own task map; Nest calls its
 * lifecycle hooks, so the workers start with the module and stop at shutdown.
 */
export class GenerationService<M extends TaskMap<M>>
  implements OnModuleInit, OnApplicationShutdown
{
  private readonly pool: WorkerPool<M>;
  readonly queue: AdmissionQueue;

  constructor(
    options: GenerationServiceOptions,
    private readonly metrics: GenerationMetrics,
  ) {
    this.pool = new WorkerPool<M>(options.worker, options.workers, options.workerData);
    this.queue = new AdmissionQueue(options.name, options.maxRunning, options.maxWaiting);
  }

  async onModuleInit(): Promise<void> {
    await this.pool.ready();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }

  /** Queues, runs and reports one task; `options.signal` cancels it (queued or running). */
  run<K extends TaskKind<M>>(
    kind: K,
    payload: M[K]['payload'] & { readonly model: string },
    options: RunOptions<M[K]['progress']> & { readonly signal: AbortSignal },
  ): Promise<M[K]['result']> {
    const { signal, onProgress } = options;
    return runAdmitted(
      { queue: this.queue, metrics: this.metrics, model: payload.model, signal },
      (firstProgress) =>
        this.pool.run(kind, payload, {
          signal,
          onProgress: (event) => {
            firstProgress();
            onProgress?.(event);
          },
        }),
    );
  }
}
