import type { Logger } from 'pino';
import type { ChunkStore } from '../chunks/chunk-store';
import type { JobsConfig } from '../config/jobs-config';
import { JOB_RECORD_ACKS, type SendOnly } from '../kafka/kafka-client';
import type { JobStateStore } from '../state/job-state-store';
import { TERMINAL_STATES } from '../state/job-state';

/** Dependencies of a {@link RetentionSweeper}. */
export interface RetentionSweeperDeps {
  /** Statuses of every job (finished ones are found here). */
  readonly store: Pick<JobStateStore, 'list'>;
  /** Where the jobs' chunks and outputs are. */
  readonly chunks: Pick<ChunkStore, 'remove'>;
  /** Writes the tombstones that drop an expired job from the compacted status topic. */
  readonly producer: SendOnly;
  /** Topic names, output retention and sweep interval. */
  readonly config: Pick<JobsConfig, 'topics' | 'outputRetentionMs' | 'retentionSweepIntervalMs'>;
  /** Logger. */
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
  /** Clock, Unix ms. */
  readonly now?: () => number;
}

/**
 * Deletes what a finished job left behind once `outputRetentionMs` has passed since it ended: its
 * chunks and outputs in the chunk store, then its status (a tombstone in the compacted status
 * topic), so neither storage nor the state every service and worker rebuilds from that topic
 * grows with every job ever run. An expired job is unknown afterwards (NOT_FOUND) and its
 * idempotency key may name a new job. Idempotent: any number of sweepers may run at once.
 */
export class RetentionSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private readonly now: () => number;

  constructor(private readonly deps: RetentionSweeperDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Sweeps every `retentionSweepIntervalMs` until {@link stop}. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.sweep().catch((error: unknown) =>
        this.deps.logger?.warn({ error: (error as Error).message }, 'retention sweep failed'),
      );
    }, this.deps.config.retentionSweepIntervalMs);
    this.timer.unref();
  }

  /** Stops sweeping; resolves once a sweep in progress has ended. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Deletes every expired job once; resolves with how many were deleted. */
  sweep(): Promise<number> {
    this.running ??= this.sweepOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(): Promise<number> {
    const { store, chunks, producer, config } = this.deps;
    const cutoff = this.now() - config.outputRetentionMs;
    const expired = store
      .list({ states: [...TERMINAL_STATES] })
      .filter((s) => s.finishedAtMs > 0 && s.finishedAtMs <= cutoff);
    for (const status of expired) {
      // Files first: a sweep cut short leaves a status whose files are gone, never files no
      // status names any more.
      await chunks.remove(status.jobId);
      await producer.send({
        topic: config.topics.status,
        acks: JOB_RECORD_ACKS,
        messages: [{ key: status.jobId, value: null }],
      });
    }
    if (expired.length > 0)
      this.deps.logger?.info({ jobs: expired.length }, 'expired jobs deleted');
    return expired.length;
  }
}
