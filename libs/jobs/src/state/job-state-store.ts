import { EventEmitter, on } from 'node:events';
import type { jobs } from '@nextx/proto';
import { codecs } from '../codec/job-codec';
import type { JobsConfig } from '../config/jobs-config';
import type { KafkaLike } from '../kafka/kafka-client';
import { isAfterCursor, type JobCursor } from '../public/page-token';
import { isTerminal } from './job-state';
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

/**
 * The current status of every job, rebuilt by reading the compacted status topic from the
 * beginning and kept current by following it. A restarted service therefore knows every job.
 */
export class JobStateStore {
  private readonly jobs = new Map<string, jobs.JobStatus>();
  private readonly events = new EventEmitter({ captureRejections: false });
  private readonly follower: TopicFollower;

  constructor(kafka: KafkaLike, config: JobsConfig, options: { groupPrefix?: string } = {}) {
    this.events.setMaxListeners(0);
    this.follower = new TopicFollower(kafka, {
      topic: config.topics.status,
      groupPrefix: options.groupPrefix ?? `${config.clientId}.job-state`,
      sessionTimeoutMs: config.sessionTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      onRecord: ({ key, value }) => {
        if (value === null) {
          this.jobs.delete(key);
          return;
        }
        const status = codecs.status.decode(value);
        this.jobs.set(status.jobId, status);
        this.events.emit('status', status);
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
    const stopped = new AbortController();
    const onStop = () => stopped.abort();
    this.events.once('stop', onStop);
    const abort = signal ? AbortSignal.any([signal, stopped.signal]) : stopped.signal;
    // Subscribe before reading the current status so no update falls in between.
    const updates = on(this.events, 'status', { signal: abort });
    try {
      const current = this.jobs.get(id);
      let lastUpdate = current?.updatedAtMs ?? -1;
      if (current) {
        yield current;
        if (isTerminal(current.state)) return;
      }
      for await (const [status] of updates as AsyncIterable<[jobs.JobStatus]>) {
        if (status.jobId !== id) continue;
        if (status === current && status.updatedAtMs === lastUpdate) continue;
        lastUpdate = status.updatedAtMs;
        yield status;
        if (isTerminal(status.state)) return;
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    } finally {
      this.events.off('stop', onStop);
    }
  }
}
