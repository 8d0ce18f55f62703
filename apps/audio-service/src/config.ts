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
import { z } from 'zod';

/** Audio service settings beyond the common ones. */
export interface AudioServiceSettings {
  /** Model repository folder. */
  readonly modelsDir: string;
  /** Generation worker threads. */
  readonly workers: number;
  /** onnxruntime intra-op threads per worker. */
  readonly threadsPerWorker: number;
  /** Requests generating at once (AR requests fuse into shared batches). */
  readonly maxRunning: number;
  /** Requests waiting beyond that; more are refused with RESOURCE_EXHAUSTED. */
  readonly maxWaiting: number;
  /** Temporal fusion of concurrent AR requests. */
  readonly fusion: boolean;
  /** Rows (clips × 2 with guidance) of each AR model's shared fused batch. */
  readonly fusedRows: number;
}

const schema = serviceEnvSchema.extend({
  MODELS_DIR: z.string().min(1).optional(),
  AUDIO_WORKERS: envInt(1, 1, 64),
  AUDIO_THREADS_PER_WORKER: envInt(1, 1, 64),
  AUDIO_MAX_RUNNING: envInt(16, 1, 1024),
  AUDIO_MAX_WAITING: envInt(64, 0, 100_000),
  AUDIO_FUSION: z.enum(['on', 'off']).default('on'),
  AUDIO_FUSED_ROWS: envInt(64, 2, 4096),
});

/** Default ports of this service. */
export const AUDIO_PORTS = { port: 50054, metricsPort: 9464 };

/** Reads and validates the configuration once, at start. */
export function loadAudioConfig(env: NodeJS.ProcessEnv): {
  service: ServiceConfig;
  audio: AudioServiceSettings;
} {
  const e = parseEnv(schema, env);
  const modelsDir = resolve(e.MODELS_DIR ?? bundledModelsDir());
  if (!existsSync(modelsDir))
    throw new Error(`MODELS_DIR=${JSON.stringify(modelsDir)}: folder does not exist`);
  return {
    service: loadServiceConfig(env, AUDIO_PORTS),
    audio: {
      modelsDir,
      workers: e.AUDIO_WORKERS,
      threadsPerWorker: e.AUDIO_THREADS_PER_WORKER,
      maxRunning: e.AUDIO_MAX_RUNNING,
      maxWaiting: e.AUDIO_MAX_WAITING,
      fusion: e.AUDIO_FUSION === 'on',
      fusedRows: e.AUDIO_FUSED_ROWS,
    },
  };
}
