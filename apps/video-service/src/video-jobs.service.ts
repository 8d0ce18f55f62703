import { basename } from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import {
  Inject,
  Injectable,
  Logger,
  type LoggerService,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigError } from '@nextx/config';
import { InvalidArgumentError, NotFoundError } from '@nextx/engine';
import {
  createIdempotentProducer,
  createKafka,
  ensureTopics,
  FsChunkStore,
  IdempotencyConflictError,
  internalJobState,
  InvalidJobError,
  jobParamsCodec,
  JobStateStore,
  JobSubmitter,
  publicJob,
  RetentionSweeper,
  type JobCursor,
  type JobsConfig,
} from '@nextx/jobs';
import { commonJob, jobs, PROTO_FILES, type videoJob } from '@nextx/proto';
import type { Producer } from 'kafkajs';
import { JsonLogger, LOGGER } from '@nextx/grpc';
import { JOBS_CONFIG } from './tokens';

/** A gRPC status a handler can throw as is (the exception filter keeps code and message). */
function grpcFailure(code: grpcStatus, details: string): Error & { code: number; details: string } {
  return Object.assign(new Error(details), { code, details });
}

/** Largest piece of a GetJobOutput stream, bytes (well under the 4 MiB message limit). */
const OUTPUT_PIECE_BYTES = 1 << 20;

/** How long a job call waits for Kafka before answering UNAVAILABLE. */
const READY_TIMEOUT_MS = 15_000;

/** The parameters of a "video" job, packed into the job envelope for the video workers. */
const videoJobParams = jobParamsCodec<videoJob.VideoJobSpec>(
  PROTO_FILES.videoJob,
  'nextx.video.v1.VideoJobSpec',
);

/** Result of {@link VideoJobsService.submit}. */
export interface SubmittedJob {
  /** The job as clients see it (a repeated key returns the existing job). */
  readonly job: commonJob.Job;
  /** False when the idempotency key named an existing job. */
  readonly created: boolean;
}

/**
 * The service side of long video jobs: submits specs and cancel commands to Kafka and answers
 * job queries from a {@link JobStateStore} rebuilt from the compacted status topic. Every answer
 * is the public view of a job ({@link publicJob}): no worker ids or storage paths. Finished jobs
 * are forgotten (files and status) after the output retention, so the store stays bounded. Kafka is
 * connected in the background so the service serves GenerateClip even while the broker is away;
 * job calls then wait briefly and answer UNAVAILABLE.
 */
@Injectable()
export class VideoJobsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('VideoJobs');
  private store?: JobStateStore;
  private producer?: Producer;
  private submitter?: JobSubmitter;
  private chunks?: FsChunkStore;
  private sweeper?: RetentionSweeper;
  private ready?: Promise<void>;
  private closed = false;

  constructor(
    @Inject(JOBS_CONFIG) private readonly config: JobsConfig | undefined,
    @Inject(LOGGER) private readonly serviceLogger: LoggerService,
  ) {}

  onModuleInit(): void {
    const config = this.config;
    if (!config) return;
    // kafkajs logs as JSON lines through the service's logger (its warm-up retries at info).
    const kafka = createKafka(config, {
      clientId: `${config.clientId}.video-service`,
      logger: this.serviceLogger instanceof JsonLogger ? this.serviceLogger.pino : undefined,
    });
    this.chunks = new FsChunkStore(config.chunkDir);
    this.store = new JobStateStore(kafka, config, {
      groupPrefix: `${config.clientId}.video-service.job-state`,
    });
    this.producer = createIdempotentProducer(kafka);
    this.submitter = new JobSubmitter({ producer: this.producer, store: this.store, config });
    // Also here, not only in the workers: the service's memory stays bounded without workers.
    this.sweeper = new RetentionSweeper({
      store: this.store,
      chunks: this.chunks,
      producer: this.producer,
      config,
    });
    const admin = kafka.admin();
    const connect = async () => {
      for (let attempt = 1; !this.closed; attempt++) {
        try {
          await admin.connect();
          const { replication } = await ensureTopics(admin, config, {
            warn: (_fields, message) => this.logger.warn(message),
          });
          await admin.disconnect();
          await this.producer!.connect();
          await this.store!.start();
          this.sweeper!.start();
          this.logger.log(
            `jobs ready: ${this.store!.size} jobs known from ${config.topics.status}; topics ` +
              `replicated ${replication.replicationFactor}x on ${replication.brokers} broker(s)`,
          );
          return;
        } catch (error) {
          if (error instanceof ConfigError) return this.refuse(error);
          this.logger.warn(`Kafka not ready (attempt ${attempt}): ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 500 * attempt)));
        }
      }
    };
    this.ready = connect();
  }

  /**
   * Stops the process on a setting the cluster cannot meet (KAFKA_REPLICATION_FACTOR above its
   * broker count), known only once Kafka answers: retrying would not fix it, and serving without
   * jobs would hide it. The same line a bad env value gives at start.
   */
  private refuse(error: ConfigError): void {
    this.logger.error(error.message);
    process.stderr.write(`video-service failed to start: ${error.message}\n`);
    process.exit(1);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.sweeper?.stop();
    await this.store?.stop().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }

  private async connected(): Promise<{
    store: JobStateStore;
    submitter: JobSubmitter;
    chunks: FsChunkStore;
  }> {
    if (!this.ready || !this.store || !this.submitter || !this.chunks)
      throw grpcFailure(
        grpcStatus.UNAVAILABLE,
        'video jobs are disabled: the service runs without KAFKA_BROKERS',
      );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS);
    });
    const outcome = await Promise.race([this.ready.then(() => 'ready' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      throw grpcFailure(
        grpcStatus.UNAVAILABLE,
        `Kafka (${this.config!.brokers.join(',')}) is not reachable yet`,
      );
    return { store: this.store, submitter: this.submitter, chunks: this.chunks };
  }

  /**
   * Submits a checked video job once per idempotency key; the key again with another spec is
   * ALREADY_EXISTS.
   */
  async submit(idempotencyKey: string, video: videoJob.VideoJobSpec): Promise<SubmittedJob> {
    const { submitter } = await this.connected();
    try {
      const { job, created } = await submitter.submit({
        idempotencyKey,
        kind: 'video',
        params: videoJobParams.pack(video),
      });
      return { job: publicJob(job), created };
    } catch (error) {
      if (error instanceof InvalidJobError)
        throw new InvalidArgumentError(error.field, 'see message', error.message);
      if (error instanceof IdempotencyConflictError)
        throw grpcFailure(grpcStatus.ALREADY_EXISTS, `idempotency_key: ${error.message}`);
      throw error;
    }
  }

  /** Job `jobId` (NOT_FOUND for an unknown job). */
  async get(jobId: string): Promise<commonJob.Job> {
    return publicJob(await this.status(jobId));
  }

  /**
   * Job `jobId` after every change from now until it ends, each with its sequence; only changes
   * after `afterSequence` (0 = from the current state) (NOT_FOUND for an unknown job).
   */
  async *watch(
    jobId: string,
    afterSequence: number,
    signal: AbortSignal,
  ): AsyncGenerator<{ job: commonJob.Job; sequence: number }> {
    const { store } = await this.connected();
    await store.caughtUp();
    if (!store.get(jobId)) throw new NotFoundError('job', jobId);
    for await (const { status, sequence } of store.watchFrom(jobId, afterSequence, signal))
      yield { job: publicJob(status), sequence };
  }

  /** Asks the workers to stop job `jobId`; resolves with the job as the request found it. */
  async cancel(jobId: string, reason: string): Promise<commonJob.Job> {
    const { submitter } = await this.connected();
    const job = await submitter.cancel(jobId, reason || 'cancelled by request');
    if (!job) throw new NotFoundError('job', jobId);
    return publicJob(job);
  }

  /**
   * Video jobs in `state` (UNSPECIFIED = any), newest first: at most `limit` after `after` (the
   * last job of the previous page), and the cursor of the next page when there is one. Jobs
   * submitted meanwhile sort before the cursor, so pages neither repeat nor skip a job.
   */
  async list(
    state: commonJob.JobState,
    limit: number,
    after: JobCursor | undefined,
  ): Promise<{ jobs: commonJob.Job[]; next: JobCursor | undefined }> {
    const { store } = await this.connected();
    const page = store.list({
      kind: 'video',
      states:
        state === commonJob.JobState.JOB_STATE_UNSPECIFIED ? undefined : [internalJobState(state)],
      after,
      limit: limit + 1,
    });
    const more = page.length > limit;
    const jobs = page.slice(0, limit);
    const last = jobs[jobs.length - 1];
    return {
      jobs: jobs.map(publicJob),
      next: more && last ? { submittedAtMs: last.submittedAtMs, jobId: last.jobId } : undefined,
    };
  }

  /**
   * The output file of a SUCCEEDED job, to stream from storage (FAILED_PRECONDITION before that,
   * OUT_OF_RANGE for an offset past its end).
   */
  async output(
    jobId: string,
    offset: number,
  ): Promise<{ name: string; size: number; pieces: AsyncIterable<Uint8Array> }> {
    const job = await this.status(jobId);
    if (job.state !== jobs.JobState.JOB_STATE_SUCCEEDED)
      throw grpcFailure(
        grpcStatus.FAILED_PRECONDITION,
        `job ${jobId} is ${job.state}, not JOB_STATE_SUCCEEDED`,
      );
    const { chunks } = await this.connected();
    const name = basename(new URL(job.outputUri).pathname);
    const stored = await chunks.openOutput(jobId, name);
    if (!stored) {
      // Where it should have been is for the operator's log, not for the client.
      this.logger.error(`job ${jobId}: output ${job.outputUri} is missing from the store`);
      throw grpcFailure(grpcStatus.DATA_LOSS, `job ${jobId}: its output is missing from the store`);
    }
    if (offset > stored.size)
      throw grpcFailure(
        grpcStatus.OUT_OF_RANGE,
        `offset: ${offset} is past the end of the output (${stored.size} bytes)`,
      );
    return { name, size: stored.size, pieces: stored.read(offset, OUTPUT_PIECE_BYTES) };
  }

  /** The internal status of job `jobId` (NOT_FOUND for an unknown job). */
  private async status(jobId: string): Promise<jobs.JobStatus> {
    const { store } = await this.connected();
    const job = store.get(jobId);
    if (!job) throw new NotFoundError('job', jobId);
    return job;
  }
}
