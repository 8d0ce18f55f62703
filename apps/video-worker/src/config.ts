import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ConfigError,
  envInt,
  envIntOptional,
  loadTracingConfig,
  parseEnv,
  type TracingConfig,
} from '@nextx/config';
import { bundledModelsDir } from '@nextx/runtime';
import { loadJobsConfig, type JobsConfig } from '@nextx/jobs';
import { z } from 'zod';

/** Settings of the generation side of a video worker. */
export interface VideoGenerationSettings {
  /** Model repository folder. */
  readonly modelsDir: string;
  /** onnxruntime intra-op threads of the generation thread. */
  readonly threads: number;
  /** Most frames one job may ask for. */
  readonly maxFrames: number;
}

/** Everything a video worker process reads from its environment, validated once at start. */
export interface VideoWorkerConfig {
  /** Model repository and generation limits. */
  readonly generation: VideoGenerationSettings;
  /** Kafka, topics, consumer group, retries and the chunk store. */
  readonly jobs: JobsConfig;
  /** Prometheus `/metrics` port; 0 (the default) serves none. */
  readonly metricsPort: number;
  /** Interface the metrics endpoint binds. */
  readonly metricsHost: string;
  /** pino log level. */
  readonly logLevel: z.infer<typeof videoWorkerEnvSchema>['LOG_LEVEL'];
  /** OpenTelemetry tracing (`OTEL_*`); off unless `OTEL_TRACES_EXPORTER` names an exporter. */
  readonly tracing: TracingConfig;
}

/** Environment of the video worker beyond the job-pipeline variables of `loadJobsConfig`. */
export const videoWorkerEnvSchema = z.object({
  /** Model repository folder; default the repository's `models/`. */
  MODELS_DIR: z.string().min(1).optional(),
  /** onnxruntime intra-op threads of the generation thread (a worker runs one job at a time). */
  VIDEO_WORKER_THREADS: envInt(1, 1, 64),
  /** Most frames one job may ask for (the video service checks submissions against the same variable). */
  VIDEO_MAX_JOB_FRAMES: envInt(4096, 1, 1_000_000),
  /** Prometheus `/metrics` port; unset or 0 serves none (several workers often share a host). */
  METRICS_PORT: envIntOptional(0, 65535),
  /** Interface of the metrics endpoint. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/**
 * Reads and validates the worker's configuration once; a bad or missing value throws a
 * `ConfigError` naming the variable.
 */
export function loadVideoWorkerConfig(env: NodeJS.ProcessEnv): VideoWorkerConfig {
  const e = parseEnv(videoWorkerEnvSchema, env);
  const modelsDir = resolve(e.MODELS_DIR ?? bundledModelsDir());
  if (!existsSync(modelsDir))
    throw new ConfigError(
      `invalid configuration: MODELS_DIR=${JSON.stringify(modelsDir)}: folder does not exist`,
    );
  return {
    generation: { modelsDir, threads: e.VIDEO_WORKER_THREADS, maxFrames: e.VIDEO_MAX_JOB_FRAMES },
    jobs: loadJobsConfig(env),
    metricsPort: e.METRICS_PORT ?? 0,
    metricsHost: e.METRICS_HOST,
    logLevel: e.LOG_LEVEL,
    tracing: loadTracingConfig(env),
  };
}
