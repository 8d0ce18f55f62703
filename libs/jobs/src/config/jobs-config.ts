import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ConfigProblems, envInt, envIntOptional, parseEnv } from '@nextx/config';
import { z } from 'zod';
import { kafkaSecurityEnvSchema, loadKafkaSecurity, type KafkaSecurity } from './kafka-security';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Environment of every process that talks to the job pipeline (service, workers, tests). */
export const jobsEnvSchema = z.object({
  /** Comma-separated `host:port` list of the Kafka cluster; `npm start` / `npm test` start a local one. */
  KAFKA_BROKERS: z
    .string({
      message:
        'required: host:port[,host:port…] of the Kafka cluster (npm start / npm test set it)',
    })
    .regex(/^[^,\s:]+:\d+(,[^,\s:]+:\d+)*$/, { message: 'expected host:port[,host:port…]' }),
  /** Kafka client id prefix (broker logs and quotas). */
  KAFKA_CLIENT_ID: z.string().min(1).default('nextx'),
  /**
   * Replication factor of the topics the project creates; unset = `min(3, brokers)` from the
   * cluster at topic creation. Larger than the cluster's broker count stops the process at start.
   */
  KAFKA_REPLICATION_FACTOR: envIntOptional(1, 10),
  /** Consumer group session timeout, ms: a worker silent this long loses its partitions. */
  KAFKA_SESSION_TIMEOUT_MS: envInt(30_000, 6_000, 300_000),
  /** Heartbeat interval, ms (also how often a busy worker heartbeats). */
  KAFKA_HEARTBEAT_INTERVAL_MS: envInt(3_000, 100, 60_000),
  /** Topic of job specs (consumed by the worker group). */
  JOBS_TOPIC: z.string().min(1).default('nextx.video.jobs'),
  /** Compacted topic of job statuses (latest record per job id). */
  JOBS_STATUS_TOPIC: z.string().min(1).default('nextx.video.job-status'),
  /** Topic of job commands (cancel). */
  JOBS_COMMANDS_TOPIC: z.string().min(1).default('nextx.video.job-commands'),
  /** Dead-letter topic of jobs that failed every attempt. */
  JOBS_DLQ_TOPIC: z.string().min(1).default('nextx.video.jobs.dlq'),
  /** Partitions of the jobs and status topics: the most workers that can run jobs at once. */
  JOBS_PARTITIONS: envInt(6, 1, 1000),
  /** Retention of job specs and commands, ms. */
  JOBS_RETENTION_MS: envInt(7 * DAY_MS, 60_000, 365 * DAY_MS),
  /** Retention of dead letters, ms. */
  JOBS_DLQ_RETENTION_MS: envInt(30 * DAY_MS, 60_000, 365 * DAY_MS),
  /** Consumer group shared by all workers. */
  JOBS_WORKER_GROUP: z.string().min(1).default('nextx.video-workers'),
  /** Attempts before a failing job goes to the dead-letter topic. */
  JOBS_MAX_ATTEMPTS: envInt(3, 1, 100),
  /** Pause between attempts of a failing job, ms. */
  JOBS_RETRY_BACKOFF_MS: envInt(1_000, 0, 600_000),
  /** How long the chunks, outputs and status of a finished job are kept after it ended, ms. */
  JOBS_OUTPUT_RETENTION_MS: envInt(7 * DAY_MS, 1_000, 3650 * DAY_MS),
  /** How often services and workers look for expired jobs, ms. */
  JOBS_RETENTION_SWEEP_INTERVAL_MS: envInt(60_000, 100, DAY_MS),
  /** Directory of the filesystem chunk store. */
  JOBS_CHUNK_DIR: z.string().min(1).default(join(tmpdir(), 'nextx-jobs')),
  ...kafkaSecurityEnvSchema.shape,
});

/** Topic names of the pipeline. */
export interface JobTopics {
  /** Job specs, keyed by job id. */
  readonly jobs: string;
  /** Job statuses, compacted, keyed by job id. */
  readonly status: string;
  /** Cancel commands, keyed by job id. */
  readonly commands: string;
  /** Dead letters, keyed by job id. */
  readonly deadLetter: string;
}

/** Validated job-pipeline settings, read once at start. */
export interface JobsConfig {
  /** Bootstrap brokers. */
  readonly brokers: readonly string[];
  /** Kafka client id prefix. */
  readonly clientId: string;
  /** TLS and SASL of the client; empty = plaintext, no SASL. */
  readonly security: KafkaSecurity;
  /** Topic names. */
  readonly topics: JobTopics;
  /** Partitions of the jobs and status topics. */
  readonly partitions: number;
  /** Replication factor of created topics; undefined = derived from the broker count at creation. */
  readonly replicationFactor: number | undefined;
  /** Retention of specs and commands, ms. */
  readonly retentionMs: number;
  /** Retention of dead letters, ms. */
  readonly deadLetterRetentionMs: number;
  /** Worker consumer group. */
  readonly workerGroup: string;
  /** Consumer session timeout, ms. */
  readonly sessionTimeoutMs: number;
  /** Heartbeat interval, ms. */
  readonly heartbeatIntervalMs: number;
  /** Attempts before dead-lettering. */
  readonly maxAttempts: number;
  /** Pause between attempts, ms. */
  readonly retryBackoffMs: number;
  /** Filesystem chunk store directory. */
  readonly chunkDir: string;
  /** How long a finished job's chunks, outputs and status are kept, ms. */
  readonly outputRetentionMs: number;
  /** Interval of the retention sweep, ms. */
  readonly retentionSweepIntervalMs: number;
}

/**
 * Reads the job-pipeline settings from `env` once (the TLS files and the SASL password file
 * too); a missing `KAFKA_BROKERS` or a bad value throws a {@link ConfigError} naming the
 * variable.
 */
export function loadJobsConfig(env: NodeJS.ProcessEnv = process.env): JobsConfig {
  const e = parseEnv(jobsEnvSchema, env);
  if (e.KAFKA_HEARTBEAT_INTERVAL_MS * 3 > e.KAFKA_SESSION_TIMEOUT_MS) {
    throw new ConfigError(
      `invalid configuration: KAFKA_HEARTBEAT_INTERVAL_MS=${e.KAFKA_HEARTBEAT_INTERVAL_MS} must be at most a third of KAFKA_SESSION_TIMEOUT_MS=${e.KAFKA_SESSION_TIMEOUT_MS}`,
    );
  }
  const problems = new ConfigProblems();
  const security = loadKafkaSecurity(e, problems);
  problems.throwIfAny();
  return {
    brokers: e.KAFKA_BROKERS.split(','),
    clientId: e.KAFKA_CLIENT_ID,
    security,
    topics: {
      jobs: e.JOBS_TOPIC,
      status: e.JOBS_STATUS_TOPIC,
      commands: e.JOBS_COMMANDS_TOPIC,
      deadLetter: e.JOBS_DLQ_TOPIC,
    },
    partitions: e.JOBS_PARTITIONS,
    replicationFactor: e.KAFKA_REPLICATION_FACTOR,
    retentionMs: e.JOBS_RETENTION_MS,
    deadLetterRetentionMs: e.JOBS_DLQ_RETENTION_MS,
    workerGroup: e.JOBS_WORKER_GROUP,
    sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: e.KAFKA_HEARTBEAT_INTERVAL_MS,
    maxAttempts: e.JOBS_MAX_ATTEMPTS,
    retryBackoffMs: e.JOBS_RETRY_BACKOFF_MS,
    chunkDir: e.JOBS_CHUNK_DIR,
    outputRetentionMs: e.JOBS_OUTPUT_RETENTION_MS,
    retentionSweepIntervalMs: e.JOBS_RETENTION_SWEEP_INTERVAL_MS,
  };
}
