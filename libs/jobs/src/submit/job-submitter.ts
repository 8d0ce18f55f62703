import { SpanKind } from '@opentelemetry/api';
import { jobs, type protobufAny } from '@nextx/proto';
import { correlationHeaders, inSpan } from '@nextx/telemetry';
import { codecs } from '../codec/job-codec';
import type { JobsConfig } from '../config/jobs-config';
import { MAX_IDEMPOTENCY_KEY_LENGTH, jobIdFor, specDigestOf } from '../ids';
import { JOB_RECORD_ACKS, type SendOnly } from '../kafka/kafka-client';
import { messagingAttributes } from '../kafka/trace-headers';
import type { JobStateStore } from '../state/job-state-store';
import { isTerminal } from '../state/job-state';

/** What a client submits; the job id is derived from the idempotency key. */
export interface JobSubmission {
  /** Client-chosen key: the same key always names the same job. */
  readonly idempotencyKey: string;
  /** Kind of job, e.g. "video"; selects the workers' handler. */
  readonly kind: string;
  /** The kind's own parameters message, packed by its {@link JobParamsCodec}. */
  readonly params?: protobufAny.Any;
}

/** Result of {@link JobSubmitter.submit}. */
export interface SubmitResult {
  /** Status of the job (new, or the existing one for a repeated key and the same spec). */
  readonly job: jobs.JobStatus;
  /** False when the key named an existing job and nothing was written. */
  readonly created: boolean;
}

/** Dependencies of a {@link JobSubmitter}. */
export interface JobSubmitterDeps {
  /** An idempotent producer ({@link createIdempotentProducer}). */
  readonly producer: SendOnly;
  /** State of every job, to answer a repeated key without writing. */
  readonly store: Pick<JobStateStore, 'get' | 'caughtUp'>;
  /** Topic names. */
  readonly config: Pick<JobsConfig, 'topics'>;
  /** Clock, Unix ms. */
  readonly now?: () => number;
}

/** A submission rejected before anything was written; `field` names the bad field. */
export class InvalidJobError extends Error {
  override readonly name = 'InvalidJobError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * A repeated idempotency key with a spec other than the one it was first submitted with: the key
 * already names another job, so nothing was written.
 */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  constructor(
    /** The key. */
    readonly idempotencyKey: string,
    /** The job the key names. */
    readonly jobId: string,
  ) {
    super(`idempotency key names job ${jobId}, which was submitted with a different spec`);
  }
}

/**
 * Submits and cancels jobs. A submission writes the QUEUED status to the compacted status topic,
 * then the spec to the jobs topic, both keyed by the job id; a repeated idempotency key with the
 * same spec returns the existing job and writes nothing, with another spec it is refused
 * ({@link IdempotencyConflictError}). The writes are a PRODUCER span (`send <jobs topic>`, a
 * child of the submitting call's), and the spec record carries its W3C `traceparent` and the
 * call's `x-request-id` as headers: the worker's spans and log lines continue the call's.
 */
export class JobSubmitter {
  private readonly inFlight = new Map<string, { digest: string; run: Promise<SubmitResult> }>();
  private readonly now: () => number;

  constructor(private readonly deps: JobSubmitterDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Submits a job once per idempotency key. */
  submit(submission: JobSubmission): Promise<SubmitResult> {
    const key = submission.idempotencyKey;
    if (key.length === 0) throw new InvalidJobError('idempotency_key', 'must not be empty');
    if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw new InvalidJobError(
        'idempotency_key',
        `at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, got ${key.length}`,
      );
    }
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(submission.kind)) {
      throw new InvalidJobError(
        'kind',
        `expected a lower-case name like "video", got ${JSON.stringify(submission.kind)}`,
      );
    }
    const digest = specDigestOf(submission.kind, submission.params);
    // Two concurrent calls with one key in this process share one submission.
    const pending = this.inFlight.get(key);
    if (pending) {
      return pending.run.then((r) => {
        if (pending.digest !== digest) throw new IdempotencyConflictError(key, r.job.jobId);
        return { job: r.job, created: false };
      });
    }
    const run = this.write(submission, digest).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, { digest, run });
    return run;
  }

  private async write(submission: JobSubmission, digest: string): Promise<SubmitResult> {
    const jobId = jobIdFor(submission.idempotencyKey);
    await this.deps.store.caughtUp();
    const existing = this.deps.store.get(jobId);
    if (existing) {
      // A status written before digests existed has none: it is taken to be the same spec.
      if (existing.specDigest && existing.specDigest !== digest)
        throw new IdempotencyConflictError(submission.idempotencyKey, jobId);
      return { job: existing, created: false };
    }

    const now = this.now();
    const spec: jobs.JobSpec = {
      jobId,
      idempotencyKey: submission.idempotencyKey,
      kind: submission.kind,
      submittedAtMs: now,
      params: submission.params,
    };
    const status: jobs.JobStatus = {
      jobId,
      idempotencyKey: submission.idempotencyKey,
      kind: submission.kind,
      state: jobs.JobState.JOB_STATE_QUEUED,
      chunksDone: 0,
      chunksTotal: 0,
      attempts: 0,
      error: '',
      workerId: '',
      outputUri: '',
      submittedAtMs: now,
      updatedAtMs: now,
      startedAtMs: 0,
      finishedAtMs: 0,
      specDigest: digest,
    };
    const { topics } = this.deps.config;
    const attributes = {
      ...messagingAttributes(topics.jobs, 'send'),
      'nextx.job.id': jobId,
      'nextx.job.kind': submission.kind,
    };
    await inSpan(`send ${topics.jobs}`, { kind: SpanKind.PRODUCER, attributes }, async () => {
      // Status first: a worker that receives the spec always finds the job in the status topic.
      await this.deps.producer.send({
        topic: topics.status,
        acks: JOB_RECORD_ACKS,
        messages: [{ key: jobId, value: codecs.status.encode(status) }],
      });
      await this.deps.producer.send({
        topic: topics.jobs,
        acks: JOB_RECORD_ACKS,
        messages: [{ key: jobId, value: codecs.spec.encode(spec), headers: correlationHeaders() }],
      });
    });
    return { job: status, created: true };
  }

  /**
   * Asks the workers to cancel job `jobId`: a running job stops within one chunk and ends
   * CANCELLED; a queued job is marked CANCELLED at once and never runs. Resolves with the status
   * seen when the request was written (undefined for an unknown job, unchanged for a finished one).
   */
  async cancel(
    jobId: string,
    reason = 'cancelled by request',
  ): Promise<jobs.JobStatus | undefined> {
    await this.deps.store.caughtUp();
    const current = this.deps.store.get(jobId);
    if (!current || isTerminal(current.state)) return current;
    const now = this.now();
    const { topics } = this.deps.config;
    const command: jobs.JobCommand = { jobId, issuedAtMs: now, cancel: { reason } };
    await this.deps.producer.send({
      topic: topics.commands,
      acks: JOB_RECORD_ACKS,
      messages: [{ key: jobId, value: codecs.command.encode(command) }],
    });
    if (current.state !== jobs.JobState.JOB_STATE_QUEUED) return current;
    const cancelled: jobs.JobStatus = {
      ...current,
      state: jobs.JobState.JOB_STATE_CANCELLED,
      error: reason,
      updatedAtMs: now,
      finishedAtMs: now,
    };
    await this.deps.producer.send({
      topic: topics.status,
      acks: JOB_RECORD_ACKS,
      messages: [{ key: jobId, value: codecs.status.encode(cancelled) }],
    });
    return cancelled;
  }
}
