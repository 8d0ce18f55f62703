import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  envInt,
  loadServiceConfig,
  parseEnv,
  serviceEnvSchema,
  type ServiceConfig,
} from '@nextx/config';
import { bundledModelsDir } from '@nextx/runtime';
import { loadJobsConfig, type JobsConfig } from '@nextx/jobs';
import { z } from 'zod';

/** Video service settings beyond the common ones. */
export interface VideoServiceSettings {
  /** Model repository folder. */
  readonly modelsDir: string;
  /** Generation worker threads. */
  readonly workers: number;
  /** onnxruntime intra-op threads per worker. */
  readonly threadsPerWorker: number;
  /** Clips generating at once. */
  readonly maxRunning: number;
  /** Clips waiting beyond that; more are refused with RESOURCE_EXHAUSTED. */
  readonly maxWaiting: number;
  /** Frames of one GenerateClip call. */
  readonly maxFrames: number;
  /** Frames of one video job. */
  readonly maxJobFrames: number;
}

const schema = serviceEnvSchema.extend({
  MODELS_DIR: z.string().min(1).optional(),
  VIDEO_WORKERS: envInt(1, 1, 64),
  VIDEO_THREADS_PER_WORKER: envInt(1, 1, 64),
  VIDEO_MAX_RUNNING: envInt(4, 1, 1024),
  VIDEO_MAX_WAITING: envInt(32, 0, 100_000),
  VIDEO_MAX_FRAMES: envInt(256, 1, 100_000),
  VIDEO_MAX_JOB_FRAMES: envInt(4096, 1, 1_000_000),
});

/** Default ports of this service. */
export const VIDEO_PORTS = { port: 50052, metricsPort: 9462 };

/**
 * Reads and validates the configuration once, at start. Jobs need Kafka: with `KAFKA_BROKERS`
 * unset the job RPCs answer UNAVAILABLE and GenerateClip still works (one service, no broker).
 */
export function loadVideoConfig(env: NodeJS.ProcessEnv): {
  service: ServiceConfig;
  video: VideoServiceSettings;
  jobs: JobsConfig | undefined;
} {
  const e = parseEnv(schema, env);
  const modelsDir = resolve(e.MODELS_DIR ?? bundledModelsDir());
  if (!existsSync(modelsDir))
    throw new Error(`MODELS_DIR=${JSON.stringify(modelsDir)}: folder does not exist`);
  return {
    service: loadServiceConfig(env, VIDEO_PORTS),
    video: {
      modelsDir,
      workers: e.VIDEO_WORKERS,
      threadsPerWorker: e.VIDEO_THREADS_PER_WORKER,
      maxRunning: e.VIDEO_MAX_RUNNING,
      maxWaiting: e.VIDEO_MAX_WAITING,
      maxFrames: e.VIDEO_MAX_FRAMES,
      maxJobFrames: e.VIDEO_MAX_JOB_FRAMES,
    },
    jobs: env['KAFKA_BROKERS'] ? loadJobsConfig(env) : undefined,
  };
}
