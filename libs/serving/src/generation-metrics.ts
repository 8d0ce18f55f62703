import { modelLoadHistogram } from '@nextx/telemetry';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const SECONDS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** How one generation ended, as counted by `nextx_generation_requests_total`. */
export type GenerationOutcome = 'ok' | 'error' | 'cancelled' | 'rejected';

/**
 * Generation metrics in the spirit of Triton/vLLM: queue and compute time, running/waiting, time
 * to first progress, and how long the worker threads took to load each model.
 */
export class GenerationMetrics {
  /** Generations per model and outcome (rejected: refused by a full queue). */
  readonly requests: Counter<'model' | 'outcome'>;
  readonly queueSeconds: Histogram<'model'>;
  readonly computeSeconds: Histogram<'model'>;
  readonly firstProgressSeconds: Histogram<'model'>;
  readonly running: Gauge<'model'>;
  readonly waiting: Gauge<'model'>;
  /** `nextx_model_load_seconds`: one observation per model load on a worker thread. */
  readonly modelLoadSeconds: Histogram<'model'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'nextx_generation_requests_total',
      help: 'generations by model and outcome (ok, error, cancelled, rejected)',
      labelNames: ['model', 'outcome'],
      registers,
    });
    this.queueSeconds = new Histogram({
      name: 'nextx_generation_queue_seconds',
      help: 'time from accepted to started',
      labelNames: ['model'],
      buckets: SECONDS,
      registers,
    });
    this.computeSeconds = new Histogram({
      name: 'nextx_generation_compute_seconds',
      help: 'time from started to result',
      labelNames: ['model'],
      buckets: SECONDS,
      registers,
    });
    this.firstProgressSeconds = new Histogram({
      name: 'nextx_generation_first_progress_seconds',
      help: 'time from accepted to the first progress event',
      labelNames: ['model'],
      buckets: SECONDS,
      registers,
    });
    this.running = new Gauge({
      name: 'nextx_generation_running',
      help: 'generations running',
      labelNames: ['model'],
      registers,
    });
    this.waiting = new Gauge({
      name: 'nextx_generation_waiting',
      help: 'generations waiting in the queue',
      labelNames: ['model'],
      registers,
    });
    this.modelLoadSeconds = modelLoadHistogram(registry);
  }
}
