import { EventEmitter, on } from 'node:events';
import type { jobs } from '@nextx/proto';
import { codecs } from '../codec/job-codec';
import type { JobsConfig } from '../config/jobs-config';
import type { KafkaLike } from '../kafka/kafka-client';
import { isAfterCursor, type JobCursor } from '../public/page-token';
import { countsAfter, isTerminal } from './job-state';
import { TopicFollower } from './topic-follower';

/** Filter of {@link JobStateStore.list}. */
export interface JobFilter {
  /** Only jobs in one of these states. */
  readonly states?: readonly jobs.JobState[];
  /** Only jobs of this kind. */
  readonly kind?: string;
  /** Only jobs after this one in newest-first order (the next page of a listing). */
  readonly after?: JobCursor;
  /** At most this many, newest submission first. */
  readonly limit?: number;
}

/** A job status with its place in the job's history ({@link JobStateStore.watchFrom}). */
export interface SequencedStatus {
  /** The status. */
  readonly status: jobs.JobStatus;
  /**
   * Position of the status record in the status topic (offset + 1): every later status of the
   * same job has a larger one, since all of a job's records share one partition.
   */
  readonly sequence: number;
}

/**
 * The current status of every job, rebuilt by reading the compacted status topic from the
 * beginning and kept current by following it. A restarted service therefore knows every job.
 */
export class JobStateStore {
  private readonly jobs = new Map<string, jobs.JobStatus>();
  private readonly sequences = new Map<string, number>();
  private readonly events = new EventEmitter({ captureRejections: false });
  private readonly follower: TopicFollower;

  constructor(kafka: KafkaLike, config: JobsConfig, options: { groupPrefix?: string } = {}) {
    this.events.setMaxListeners(0);
    this.follower = new TopicFollower(kafka, {
      topic: config.topics.status,
      groupPrefix: options.groupPrefix ?? `${config.clientId}.job-state`,
      sessionTimeoutMs: config.sessionTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      onRecord: ({ key, value, offset }) => {
        if (value === null) {
          this.jobs.delete(key);
          this.sequences.delete(key);
          return;
        }
        const status = codecs.status.decode(value);
        if (!countsAfter(this.jobs.get(status.jobId), status)) return;
        const sequence = Number(offset) + 1;
        this.jobs.set(status.jobId, status);
        this.sequences.set(status.jobId, sequence);
        this.events.emit('status', { status, sequence } satisfies SequencedStatus);
      },
    });
  }

  /** Reads the whole status topic; resolves once every job known to Kafka is known here. */
  start(): Promise<void> {
    return this.follower.start();
  }

  /** Resolves once every status written before the call is reflected here. */
  caughtUp(timeoutMs?: number): Promise<void> {
    return this.follower.caughtUp(timeoutMs);
  }

  /** Stops following the topic. */
  async stop(): Promise<void> {
    this.events.emit('stop');
    await this.follower.stop();
  }

  /** Number of known jobs. */
  get size(): number {
    return this.jobs.size;
  }

  /** Latest status of job `id`, or undefined for an unknown job. */
  get(id: string): jobs.JobStatus | undefined {
    return this.jobs.get(id);
  }

  /** Known jobs matching `filter`, newest submission first. */
  list(filter: JobFilter = {}): jobs.JobStatus[] {
    const states = filter.states ? new Set(filter.states) : undefined;
    const { after } = filter;
    const out = [...this.jobs.values()].filter(
      (s) =>
        (!states || states.has(s.state)) &&
        (filter.kind === undefined || s.kind === filter.kind) &&
        (!after || isAfterCursor(s, after)),
    );
    out.sort((a, b) => b.submittedAtMs - a.submittedAtMs || a.jobId.localeCompare(b.jobId));
    return filter.limit === undefined ? out : out.slice(0, filter.limit);
  }

  /**
   * Every status of job `id` from now on, starting with the current one when known; ends after a
   * final state, when `signal` aborts or when the store stops.
   */
  async *watch(id: string, signal?: AbortSignal): AsyncGenerator<jobs.JobStatus> {
    for await (const { status } of this.watchFrom(id, 0, signal)) yield status;
  }

  /**
   * Like {@link watch}, with each status's sequence, and only statuses after `afterSequence` (0 =
   * from the current one): a watcher that lost its stream resumes without repeats. A job that
   * already ended at or before `afterSequence` yields nothing.
   */
  async *watchFrom(
    id: string,
    afterSequence: number,
    signal?: AbortSignal,
  ): AsyncGenerator<SequencedStatus> {
    const stopped = new AbortController();
    const onStop = () => stopped.abort();
    this.events.once('stop', onStop);
    const abort = signal ? AbortSignal.any([signal, stopped.signal]) : stopped.signal;
    // Subscribe before reading the current status so no update falls in between.
    const updates = on(this.events, 'status', { signal: abort });
    try {
      const current = this.jobs.get(id);
      let last = afterSequence;
      if (current) {
        if (isTerminal(current.state) && (this.sequences.get(id) ?? 0) <= last) return;
        const sequence = this.sequences.get(id) ?? 0;
        if (sequence > last) {
          last = sequence;
          yield { status: current, sequence };
          if (isTerminal(current.state)) return;
        }
      }
      for await (const [update] of updates as AsyncIterable<[SequencedStatus]>) {
        if (update.status.jobId !== id || update.sequence <= last) continue;
        last = update.sequence;
        yield update;
        if (isTerminal(update.status.state)) return;
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    } finally {
      this.events.off('stop', onStop);
    }
  }
}
