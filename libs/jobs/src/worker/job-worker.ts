import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { jobs } from '@nextx/proto';
import { correlationFrom, tracer, withRequestId } from '@nextx/telemetry';
import { type Admin, type Consumer, type EachMessagePayload, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { contiguousChunks, type ChunkStore } from '../chunks/chunk-store';
import { codecs } from '../codec/job-codec';
import type { JobsConfig } from '../config/jobs-config';
import { newWorkerId, specDigestOf } from '../ids';
import { createIdempotentProducer, JOB_RECORD_ACKS, type KafkaLike } from '../kafka/kafka-client';
import { headersAsText, messagingAttributes } from '../kafka/trace-headers';
import { RetentionSweeper } from '../retention/retention-sweeper';
import { JobStateStore } from '../state/job-state-store';
import { isTerminal } from '../state/job-state';
import { TopicFollower } from '../state/topic-follower';
import { ensureTopics } from '../topics/ensure-topics';

/** What a handler is told and can do while it runs one job. */
export interface JobContext {
  /** The job as submitted. */
  readonly spec: jobs.JobSpec;
  /** Failed attempts before this one (0 on the first). */
  readonly attempt: number;
  /** First chunk to generate: chunks below it are already stored (a resumed job). */
  readonly nextChunk: number;
  /** The last stored chunk, when resuming. */
  readonly lastCheckpoint: jobs.ChunkCheckpoint | undefined;
  /** Fires on cancel, on shutdown and on a rebalance that takes the job away; stop within one chunk. */
  readonly signal: AbortSignal;
  /** This worker's id. */
  readonly workerId: string;
  /** The chunk store (read earlier chunks on resume, write the final output). */
  readonly chunks: ChunkStore;
  /** Stores chunk `index` and publishes it as the job's checkpoint; throws if the job was aborted. */
  checkpoint(index: number, bytes: Uint8Array): Promise<jobs.ChunkCheckpoint>;
  /** Publishes progress (`done` of `total` chunks); throws if the job was aborted. */
  progress(done: number, total: number): Promise<void>;
}

/** Result of a successful job. */
export interface JobResult {
  /** Where the output is (e.g. the URI returned by `chunks.putOutput`). */
  readonly outputUri?: string;
}

/** Runs one job; resolves when done, throws to fail the attempt. */
export type JobHandler = (context: JobContext) => Promise<JobResult | void>;

/** Thrown by a handler for an error that retrying cannot fix: the job ends FAILED at once. */
export class NonRetriableJobError extends Error {
  override readonly name = 'NonRetriableJobError';
}

/** Why a running job was aborted (the `reason` of {@link JobContext.signal}). */
export class JobAbort extends Error {
  override readonly name = 'JobAbort';
  constructor(
    /** `cancel` ends the job CANCELLED; `handback` leaves it uncommitted for another worker. */
    readonly kind: 'cancel' | 'handback',
    message: string,
  ) {
    super(message);
  }
}

/** How one delivery of a job ended (emitted as the worker's `job` event). */
export interface JobOutcome {
  /** Job id. */
  readonly jobId: string;
  /** What happened. */
  readonly outcome:
    'succeeded' | 'failed' | 'cancelled' | 'dead-lettered' | 'skipped' | 'handed-back';
  /** Failed attempts recorded for the job. */
  readonly attempts: number;
}

/** Options of a {@link JobWorker}. */
export interface JobWorkerOptions {
  /** kafkajs client. */
  readonly kafka: KafkaLike;
  /** Pipeline settings. */
  readonly config: JobsConfig;
  /** Where chunks go. */
  readonly chunks: ChunkStore;
  /** Worker id (default: host-pid-random). */
  readonly workerId?: string;
  /** Logger. */
  readonly logger?: Logger;
}

const State = jobs.JobState;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether `error` is the broker's (kafkajs), not the job's: unreachable, timed out, retries spent. */
function isBrokerError(error: unknown): boolean {
  const name = (error as { name?: unknown })?.name;
  return typeof name === 'string' && name.startsWith('KafkaJS');
}

/**
 * Whether a failed offset commit says the group's coordinator is gone or moved (its broker died):
 * kafkajs keeps sending commits to the old coordinator until the member rejoins the group.
 */
function isCoordinatorLost(error: unknown): boolean {
  // kafkajs wraps the last error of spent retries (KafkaJSNumberOfRetriesExceeded) as `cause`.
  for (let e = error as { type?: string; name?: string; cause?: unknown } | undefined; e;) {
    if (
      e.name === 'KafkaJSBrokerNotFound' ||
      e.name === 'KafkaJSConnectionError' ||
      e.type === 'NOT_COORDINATOR_FOR_GROUP' ||
      e.type === 'GROUP_COORDINATOR_NOT_AVAILABLE'
    )
      return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * What the delivery throws after a commit lost the group coordinator: an error of the type
 * kafkajs's consumer answers by rejoining the group, which finds the new coordinator (there is no
 * public way to ask for that). The job's final status is written, so the redelivery after the
 * rejoin is skipped and committed there.
 */
class CoordinatorLost extends Error {
  override readonly name = 'CoordinatorLost';
  /** What kafkajs reads to rejoin (its `isRebalancing`). */
  readonly type = 'NOT_COORDINATOR_FOR_GROUP';
  constructor(cause: unknown) {
    super(`offset commit failed (${errorMessage(cause)}): rejoining the group for its coordinator`);
  }
}

function isRebalance(error: unknown): boolean {
  const e = error as { type?: string; name?: string };
  return (
    e?.type === 'REBALANCE_IN_PROGRESS' ||
    e?.type === 'UNKNOWN_MEMBER_ID' ||
    e?.type === 'ILLEGAL_GENERATION'
  );
}

/**
 * A member of the worker consumer group: any number of workers share the jobs topic's
 * partitions, each running one job at a time.
 *
 * At-least-once with idempotent effects: a job's offset is committed only once it reached a final
 * state, so a job whose worker dies is redelivered and resumes from its last stored chunk; chunks
 * are stored per index, so a redone chunk replaces its earlier copy; a redelivered job already
 * final in the status topic is skipped. A job that throws is retried up to `maxAttempts` times,
 * then goes to the dead-letter topic and ends DEAD_LETTERED. Every worker also runs a
 * {@link RetentionSweeper}: a finished job's files and status are deleted after the retention.
 *
 * Each delivery is a CONSUMER span (`process <jobs topic>`) continuing the `traceparent` the
 * submitter put in the record's headers, and runs under the submitting call's `x-request-id`: the
 * handler's spans (chunks) and log lines join the trace and the request of the call that
 * submitted the job.
 */
export class JobWorker extends EventEmitter<{ job: [JobOutcome] }> {
  /** This worker's id (in statuses and dead letters). */
  readonly workerId: string;
  private readonly store: JobStateStore;
  private readonly commands: TopicFollower;
  private readonly cancelled = new Map<string, string>();
  private consumer?: Consumer;
  private producer?: Producer;
  private admin?: Admin;
  /** In the group and consuming: set on joining, cleared by a crash kafkajs will not restart and by stop. */
  private consuming = false;
  private sweeper?: RetentionSweeper;
  private current?: { jobId: string; abort: AbortController };
  /** Set by a commit that lost the group coordinator; thrown when the delivery ends. */
  private coordinatorLost?: unknown;
  private stopping?: Promise<void>;

  constructor(private readonly options: JobWorkerOptions) {
    super();
    this.workerId = options.workerId ?? newWorkerId();
    const { config, kafka } = options;
    this.store = new JobStateStore(kafka, config, {
      groupPrefix: `${config.clientId}.worker-state`,
    });
    this.commands = new TopicFollower(kafka, {
      topic: config.topics.commands,
      groupPrefix: `${config.clientId}.worker-commands`,
      sessionTimeoutMs: config.sessionTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      onRecord: ({ value }) => {
        if (!value) return;
        const command = codecs.command.decode(value);
        if (!command.cancel) return;
        this.cancelled.set(command.jobId, command.cancel.reason || 'cancelled');
        if (this.current?.jobId === command.jobId) {
          this.current.abort.abort(new JobAbort('cancel', command.cancel.reason || 'cancelled'));
        }
      },
    });
  }

  /** Job states as this worker knows them (rebuilt from the status topic). */
  get states(): Pick<JobStateStore, 'get' | 'list' | 'watch' | 'caughtUp'> {
    return this.store;
  }

  /**
   * Creates missing topics, catches up with statuses and commands, joins the group and starts
   * running jobs with `handler`.
   */
  async run(handler: JobHandler): Promise<void> {
    const { kafka, config } = this.options;
    this.admin = kafka.admin();
    await this.admin.connect();
    const logger = this.options.logger;
    // A configured replication the cluster cannot meet throws a ConfigError here: the worker
    // stops at start naming KAFKA_REPLICATION_FACTOR and the broker count.
    const { replication } = await ensureTopics(
      this.admin,
      config,
      logger ? { warn: (fields, message) => logger.warn(fields, message) } : {},
    );
    await Promise.all([this.store.start(), this.commands.start()]);
    this.producer = createIdempotentProducer(kafka);
    await this.producer.connect();
    this.sweeper = new RetentionSweeper({
      store: this.store,
      chunks: this.options.chunks,
      producer: this.producer,
      config,
      logger: this.options.logger,
    });
    this.sweeper.start();
    this.consumer = kafka.consumer({
      groupId: config.workerGroup,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      // A job may hold the partition for minutes; a rebalance waits this long for it to hand back.
      rebalanceTimeout: Math.max(60_000, config.sessionTimeoutMs * 2),
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
    });
    const { GROUP_JOIN, CRASH, STOP } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, () => (this.consuming = true));
    this.consumer.on(CRASH, ({ payload }) => {
      if (!payload.restart) this.consuming = false;
    });
    this.consumer.on(STOP, () => (this.consuming = false));
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [config.topics.jobs], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachMessage: (payload) => this.onJob(payload, handler),
    });
    logger?.info(
      {
        workerId: this.workerId,
        group: config.workerGroup,
        replicationFactor: replication.replicationFactor,
        minInsyncReplicas: replication.minInsyncReplicas,
        brokers: replication.brokers,
      },
      'job worker running',
    );
  }

  /** Whether this worker is in its group and consuming jobs (what a health endpoint reports). */
  get healthy(): boolean {
    return this.consuming && !this.stopping;
  }

  /**
   * Jobs waiting for the worker group: for each partition of the jobs topic, the newest offset
   * minus the group's committed one (a partition the group never committed counts from its
   * oldest retained record).
   */
  async consumerLag(): Promise<number> {
    const admin = this.admin;
    if (!admin) return 0;
    const { topics, workerGroup } = this.options.config;
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topics.jobs),
      admin.fetchOffsets({ groupId: workerGroup, topics: [topics.jobs] }),
    ]);
    const done = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce((lag, end) => {
      const at = done.get(end.partition) ?? -1;
      return lag + Number(end.high) - (at >= 0 ? at : Number(end.low));
    }, 0);
  }

  /**
   * Stops gracefully: aborts the running job (its offset stays uncommitted, so the group hands
   * it to another worker, which resumes from the last checkpoint), leaves the group, disconnects.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // The status error is shown to clients: it says what happened, not which worker (logs do).
      this.current?.abort.abort(new JobAbort('handback', 'worker shutting down'));
      await this.consumer?.disconnect();
      await this.sweeper?.stop();
      await Promise.all([this.store.stop(), this.commands.stop()]);
      await this.producer?.disconnect();
      await this.admin?.disconnect();
      this.options.logger?.info({ workerId: this.workerId }, 'job worker stopped');
    })();
    return this.stopping;
  }

  /**
   * Calls {@link stop} on SIGTERM / SIGINT (once), then `afterStop` (flush the spans, …), then
   * lets the process exit.
   */
  stopOnSignals(
    signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
    afterStop: () => Promise<void> = async () => undefined,
  ): void {
    for (const signal of signals) {
      process.once(signal, () => {
        void this.stop()
          .then(afterStop)
          .then(
            () => process.exit(0),
            () => process.exit(1),
          );
      });
    }
  }

  /** One delivery, inside its span and under the submitting call's request id. */
  private onJob(payload: EachMessagePayload, handler: JobHandler): Promise<void> {
    const { topic, message } = payload;
    this.coordinatorLost = undefined;
    const incoming = correlationFrom(headersAsText(message.headers));
    const span = tracer().startSpan(
      `process ${topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...messagingAttributes(topic, 'process'),
          'messaging.kafka.offset': Number(message.offset),
          'messaging.destination.partition.id': String(payload.partition),
          'nextx.job.id': message.key?.toString() ?? '',
          'nextx.worker.id': this.workerId,
        },
      },
      incoming.context,
    );
    return context
      .with(trace.setSpan(incoming.context, span), () =>
        withRequestId(incoming.requestId, () => this.deliver(payload, handler, span)),
      )
      .catch((error: unknown) => {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
        throw error;
      })
      .finally(() => span.end())
      .then(() => {
        // After the span: the job itself ended as reported, only its commit did not.
        const lost = this.coordinatorLost;
        this.coordinatorLost = undefined;
        if (lost !== undefined) throw new CoordinatorLost(lost);
      });
  }

  private async deliver(
    payload: EachMessagePayload,
    handler: JobHandler,
    span: Span,
  ): Promise<void> {
    const { topic, partition, message, heartbeat } = payload;
    const consumer = this.consumer;
    const producer = this.producer;
    if (!consumer || !producer) throw new Error('job worker is not running');
    const commit = () =>
      consumer
        .commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }])
        .catch((error: unknown) => {
          // The job's final status is already written: a redelivery finds it final and skips it.
          this.options.logger?.warn(
            { jobId: message.key?.toString(), error: errorMessage(error) },
            'offset commit failed',
          );
          if (isCoordinatorLost(error)) this.coordinatorLost = error;
        });
    const report = (jobId: string, outcome: JobOutcome['outcome'], attempts: number) => {
      span.setAttributes({ 'nextx.job.outcome': outcome, 'nextx.job.attempts': attempts });
      if (outcome === 'failed' || outcome === 'dead-lettered')
        span.setStatus({ code: SpanStatusCode.ERROR, message: `job ${outcome}` });
      this.emit('job', { jobId, outcome, attempts });
      this.options.logger?.info(
        { jobId, outcome, attempts, workerId: this.workerId },
        'job delivery ended',
      );
    };
    if (!message.value) return commit();
    let spec: jobs.JobSpec;
    try {
      spec = codecs.spec.decode(message.value);
    } catch (error) {
      // A record that is not a JobSpec would fail forever: dead-letter it under its key and move on.
      const jobId = message.key?.toString('utf8') ?? '';
      const unreadable = { jobId, idempotencyKey: '', kind: '', submittedAtMs: 0 };
      const status = {
        error: `unreadable JobSpec: ${errorMessage(error)}`,
        attempts: 0,
      } as jobs.JobStatus;
      await this.deadLetter(producer, unreadable, status);
      await commit();
      return report(jobId, 'dead-lettered', 0);
    }

    span.setAttribute('nextx.job.kind', spec.kind);
    await this.store.caughtUp();
    const known = this.store.get(spec.jobId);
    if (known && isTerminal(known.state)) {
      await commit();
      return report(spec.jobId, 'skipped', known.attempts);
    }
    let status: jobs.JobStatus = known ?? {
      jobId: spec.jobId,
      idempotencyKey: spec.idempotencyKey,
      kind: spec.kind,
      state: State.JOB_STATE_QUEUED,
      chunksDone: 0,
      chunksTotal: 0,
      attempts: 0,
      error: '',
      workerId: '',
      outputUri: '',
      submittedAtMs: spec.submittedAtMs,
      updatedAtMs: 0,
      startedAtMs: 0,
      finishedAtMs: 0,
      specDigest: specDigestOf(spec.kind, spec.params),
    };
    const publish = async (patch: Partial<jobs.JobStatus>) => {
      status = { ...status, ...patch, workerId: this.workerId, updatedAtMs: Date.now() };
      await producer.send({
        topic: this.options.config.topics.status,
        acks: JOB_RECORD_ACKS,
        messages: [{ key: spec.jobId, value: codecs.status.encode(status) }],
      });
    };
    /**
     * {@link publish} for a running attempt: a broker outage is not the job's failure, so it is
     * waited out (retrying until the broker answers or the job is aborted) instead of failing the
     * attempt, which repeated outages would otherwise turn into a dead-lettered healthy job.
     */
    const publishRunning = (signal: AbortSignal) => async (patch: Partial<jobs.JobStatus>) => {
      for (let retry = 1; ; retry++) {
        try {
          return await publish(patch);
        } catch (error) {
          if (!isBrokerError(error) || signal.aborted) throw error;
          this.options.logger?.warn(
            { jobId: spec.jobId, retry, error: errorMessage(error) },
            'status publish failed: waiting for the broker',
          );
          await sleep(Math.min(250 * retry, 5_000), undefined, { signal }).catch(() => undefined);
        }
      }
    };
    /** Set once this delivery published its RUNNING claim: from then on it must still hold the job. */
    let claimed = false;
    /**
     * Fencing for a delivery that ran: a rebalance (e.g. after a broker died) can hand the
     * partition to another worker while this one still runs the job. The status topic orders a
     * job's records, so the newest one says who holds it: a final record means another worker
     * finished it (commit, record nothing); another worker's record means it took the job over
     * (record nothing, leave the offset to the partition's owner). Checked just before every
     * record that ends or retries a claimed attempt.
     */
    const holder = async (): Promise<'held' | 'final' | 'taken'> => {
      if (!claimed) return 'held';
      await this.store.caughtUp();
      const newest = this.store.get(spec.jobId);
      if (newest && isTerminal(newest.state)) return 'final';
      return newest && newest.workerId !== this.workerId ? 'taken' : 'held';
    };
    const superseded = async (): Promise<boolean> => {
      const hold = await holder();
      if (hold === 'held') return false;
      const newest = this.store.get(spec.jobId);
      this.options.logger?.warn(
        { jobId: spec.jobId, workerId: this.workerId, holder: newest?.workerId, hold },
        'job superseded by another worker: nothing recorded',
      );
      if (hold === 'final') {
        await commit();
        report(spec.jobId, 'skipped', newest?.attempts ?? status.attempts);
      } else {
        // Still this partition's owner (the other worker is the stale one): redeliver to resume.
        this.rewind(topic, partition, message.offset);
        report(spec.jobId, 'handed-back', status.attempts);
      }
      return true;
    };
    const finish = async (
      state: jobs.JobState,
      patch: Partial<jobs.JobStatus>,
      outcome: JobOutcome['outcome'],
    ) => {
      if (await superseded()) return;
      await publish({ ...patch, state, finishedAtMs: Date.now() });
      await commit();
      report(spec.jobId, outcome, status.attempts);
    };

    const cancelReason = this.cancelled.get(spec.jobId);
    if (cancelReason !== undefined)
      return finish(State.JOB_STATE_CANCELLED, { error: cancelReason }, 'cancelled');

    // A job found RUNNING was last held by a worker that died: that counts as a failed attempt.
    if (status.state === State.JOB_STATE_RUNNING) {
      this.options.logger?.warn(
        { jobId: spec.jobId, lostWorkerId: status.workerId, workerId: this.workerId },
        'resuming a job whose worker was lost',
      );
      status = {
        ...status,
        attempts: status.attempts + 1,
        error: status.error || 'the worker running the job was lost',
      };
    }
    const { maxAttempts, retryBackoffMs } = this.options.config;
    for (;;) {
      if (status.attempts >= maxAttempts) {
        await this.deadLetter(producer, spec, status);
        return finish(State.JOB_STATE_DEAD_LETTERED, {}, 'dead-lettered');
      }
      const abort = new AbortController();
      this.current = { jobId: spec.jobId, abort };
      if (this.stopping) abort.abort(new JobAbort('handback', 'worker stopping'));
      const beat = setInterval(() => {
        heartbeat().catch((error: unknown) => {
          if (isRebalance(error))
            abort.abort(new JobAbort('handback', 'partition reassigned by a rebalance'));
        });
      }, this.options.config.heartbeatIntervalMs);
      let failure: { error: unknown } | undefined;
      let result: JobResult | void = undefined;
      try {
        const nextChunk = await contiguousChunks(this.options.chunks, spec.jobId);
        const lastCheckpoint =
          status.lastCheckpoint?.chunkIndex === nextChunk - 1
            ? status.lastCheckpoint
            : nextChunk > 0
              ? { jobId: spec.jobId, chunkIndex: nextChunk - 1, uri: '', sizeBytes: 0 }
              : undefined;
        const publishThroughOutages = publishRunning(abort.signal);
        await publishThroughOutages({
          state: State.JOB_STATE_RUNNING,
          startedAtMs: status.startedAtMs || Date.now(),
          chunksDone: Math.max(status.chunksDone, nextChunk),
        });
        claimed = true;
        const context = this.context(
          spec,
          status.attempts,
          nextChunk,
          lastCheckpoint,
          abort.signal,
          publishThroughOutages,
        );
        result = await handler(context);
        abort.signal.throwIfAborted();
      } catch (error) {
        failure = { error };
      } finally {
        clearInterval(beat);
        this.current = undefined;
      }
      if (!failure)
        return finish(
          State.JOB_STATE_SUCCEEDED,
          { outputUri: result?.outputUri ?? '', error: '' },
          'succeeded',
        );

      const { error } = failure;
      const reason: unknown = abort.signal.aborted ? abort.signal.reason : undefined;
      if (reason instanceof JobAbort && reason.kind === 'cancel') {
        return finish(State.JOB_STATE_CANCELLED, { error: reason.message }, 'cancelled');
      }
      if (reason instanceof JobAbort) {
        // Hand the job back: rewind so neither this nor a later commit skips it.
        if (await superseded().catch(() => false)) return;
        this.rewind(topic, partition, message.offset);
        await publish({ state: State.JOB_STATE_QUEUED, error: reason.message }).catch(
          () => undefined,
        );
        return report(spec.jobId, 'handed-back', status.attempts);
      }
      if (error instanceof NonRetriableJobError) {
        return finish(State.JOB_STATE_FAILED, { error: error.message }, 'failed');
      }
      this.options.logger?.warn(
        { jobId: spec.jobId, attempt: status.attempts + 1, error: errorMessage(error) },
        'job attempt failed',
      );
      span.addEvent('attempt failed', {
        'nextx.job.attempt': status.attempts + 1,
        'exception.message': errorMessage(error),
      });
      if (await superseded()) return;
      await publish({
        state: State.JOB_STATE_RUNNING,
        attempts: status.attempts + 1,
        error: errorMessage(error),
      });
      if (status.attempts < maxAttempts && retryBackoffMs > 0)
        await sleep(retryBackoffMs).catch(() => undefined);
    }
  }

  /** Seeks the partition back to `offset` so the job is delivered again (no-op once it moved away). */
  private rewind(topic: string, partition: number, offset: string): void {
    try {
      this.consumer?.seek({ topic, partition, offset });
    } catch (error) {
      this.options.logger?.warn({ topic, partition, error: errorMessage(error) }, 'seek failed');
    }
  }

  private context(
    spec: jobs.JobSpec,
    attempt: number,
    nextChunk: number,
    lastCheckpoint: jobs.ChunkCheckpoint | undefined,
    signal: AbortSignal,
    publish: (patch: Partial<jobs.JobStatus>) => Promise<void>,
  ): JobContext {
    const chunks = this.options.chunks;
    let total = 0;
    return {
      spec,
      attempt,
      nextChunk,
      lastCheckpoint,
      signal,
      workerId: this.workerId,
      chunks,
      async checkpoint(index, bytes) {
        signal.throwIfAborted();
        const uri = await chunks.put(spec.jobId, index, bytes);
        const checkpoint: jobs.ChunkCheckpoint = {
          jobId: spec.jobId,
          chunkIndex: index,
          uri,
          sizeBytes: bytes.byteLength,
        };
        await publish({
          lastCheckpoint: checkpoint,
          chunksDone: index + 1,
          chunksTotal: Math.max(total, index + 1),
        });
        signal.throwIfAborted();
        return checkpoint;
      },
      async progress(done, totalChunks) {
        signal.throwIfAborted();
        total = totalChunks;
        await publish({ chunksDone: done, chunksTotal: totalChunks });
      },
    };
  }

  private async deadLetter(
    producer: Producer,
    spec: jobs.JobSpec,
    status: jobs.JobStatus,
  ): Promise<void> {
    const letter: jobs.DeadLetter = {
      spec,
      error: status.error,
      attempts: status.attempts,
      workerId: this.workerId,
      deadLetteredAtMs: Date.now(),
    };
    await producer.send({
      topic: this.options.config.topics.deadLetter,
      acks: JOB_RECORD_ACKS,
      messages: [{ key: spec.jobId, value: codecs.deadLetter.encode(letter) }],
    });
    this.options.logger?.error(
      { jobId: spec.jobId, attempts: status.attempts, error: status.error },
      'job dead-lettered',
    );
  }
}
