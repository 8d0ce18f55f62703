import type { Span } from '@opentelemetry/api';
import type { GenerationMetrics, GenerationOutcome } from './generation-metrics';
import type { AdmissionQueue } from './admission-queue';

/** What {@link runAdmitted} runs behind. */
export interface AdmittedRunOptions {
  readonly queue: AdmissionQueue;
  readonly metrics: GenerationMetrics;
  /** Metrics label. */
  readonly model: string;
  /** Cancels the wait for a slot (and is passed on to the work by the caller). */
  readonly signal: AbortSignal;
  /** The generation's span: gets an `admitted` event (with the queue time) and the outcome. */
  readonly span?: Pick<Span, 'addEvent' | 'setAttribute'>;
}

/**
 * Runs one generation behind the admission queue and records it: waiting and running gauges,
 * queue time, compute time, and time from acceptance to the first progress event (the work
 * calls `firstProgress` on each progress event; only the first one counts); on its span, when
 * given, when it was admitted and how it ended (`nextx.generation.outcome`).
 */
export async function runAdmitted<R>(
  options: AdmittedRunOptions,
  work: (firstProgress: () => void) => Promise<R>,
): Promise<R> {
  const { queue, metrics, model, span } = options;
  const count = (outcome: GenerationOutcome) => {
    metrics.requests.inc({ model, outcome });
    span?.setAttribute('nextx.generation.outcome', outcome);
  };
  const accepted = performance.now();
  metrics.waiting.inc({ model });
  let release;
  try {
    release = await queue.acquire(options.signal);
  } catch (error) {
    count(outcomeOf(error, 'rejected'));
    throw error;
  } finally {
    metrics.waiting.dec({ model });
  }
  const started = performance.now();
  metrics.queueSeconds.observe({ model }, (started - accepted) / 1000);
  span?.addEvent('admitted', { 'nextx.queue_ms': Math.round(started - accepted) });
  metrics.running.inc({ model });
  let first = true;
  try {
    const result = await work(() => {
      if (first)
        metrics.firstProgressSeconds.observe({ model }, (performance.now() - accepted) / 1000);
      first = false;
    });
    count('ok');
    return result;
  } catch (error) {
    count(outcomeOf(error, 'error'));
    throw error;
  } finally {
    metrics.computeSeconds.observe({ model }, (performance.now() - started) / 1000);
    metrics.running.dec({ model });
    release();
  }
}

/** A cancel (the caller's signal, or the engine stopping on it) counts apart from failures. */
function outcomeOf(error: unknown, otherwise: GenerationOutcome): GenerationOutcome {
  return error instanceof Error && error.name === 'AbortError' ? 'cancelled' : otherwise;
}
