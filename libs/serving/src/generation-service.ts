import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Attributes } from '@opentelemetry/api';
import { inSpan } from '@nextx/telemetry';
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

/** Figures of a finished generation that its result tells, when it has them. */
const RESULT_FIGURES = ['steps', 'tokens', 'frames', 'samples'] as const;

/**
 * Span attributes of a finished generation: the numeric `steps` / `tokens` / `frames` /
 * `samples` of its result (whichever the modality's result has), how many progress events it
 * sent, and the last one's `total` (the steps planned, for the modalities that report them).
 */
export function generationFigures(
  result: unknown,
  progressEvents: number,
  lastProgress: unknown,
): Attributes {
  const figures: Attributes = { 'nextx.generation.progress_events': progressEvents };
  const fields = (result ?? {}) as Record<string, unknown>;
  for (const key of RESULT_FIGURES)
    if (typeof fields[key] === 'number') figures[`nextx.generation.${key}`] = fields[key];
  const total = (lastProgress as { total?: unknown } | undefined)?.total;
  if (typeof total === 'number') figures['nextx.generation.total_steps'] = total;
  return figures;
}

/**
 * Runs a modality's generation tasks on a worker pool behind an admission queue, and records
 * queue time, compute time, running/waiting, time to the first progress event and the workers'
 * model load times; with tracing on, each generation is a span (`<kind> <model>`, a child of the
 * call's) with its model, task, outcome and figures. Every generating service (image, video, …)
 * is one of these with its own task map; Nest calls its lifecycle hooks, so the workers start
 * with the module and stop at shutdown.
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
    this.pool.onEvent((event) => {
      if (event.kind === 'model-loaded')
        metrics.modelLoadSeconds.observe({ model: event.model }, event.seconds);
    });
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
    const model = payload.model;
    const attributes = { 'nextx.generation.model': model, 'nextx.generation.task': kind };
    return inSpan(`${kind} ${model}`, { attributes, signal }, async (span) => {
      let events = 0;
      // Only the last event's `total` is kept: events may carry previews.
      let last: { total?: unknown } | undefined;
      const result = await runAdmitted(
        { queue: this.queue, metrics: this.metrics, model, signal, span },
        (firstProgress) =>
          this.pool.run(kind, payload, {
            signal,
            onProgress: (event) => {
              events++;
              last = { total: (event as { total?: unknown } | undefined)?.total };
              firstProgress();
              onProgress?.(event);
            },
          }),
      );
      span.setAttributes(generationFigures(result, events, last));
      return result;
    });
  }
}
