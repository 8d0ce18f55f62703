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

/** Image service settings beyond the common ones. */
export interface ImageServiceSettings {
  /** Model repository folder. */
  readonly modelsDir: string;
  /** Generation worker threads. */
  readonly workers: number;
  /** onnxruntime intra-op threads per worker. */
  readonly threadsPerWorker: number;
  /** Requests generating at once (they fuse into shared batches). */
  readonly maxRunning: number;
  /** Requests waiting beyond that; more are refused with RESOURCE_EXHAUSTED. */
  readonly maxWaiting: number;
  /** Images per request. */
  readonly maxImages: number;
  /** Temporal fusion of concurrent raster requests. */
  readonly fusion: boolean;
  /** Rows (images × 2 with guidance) of each raster model's shared fused batch. */
  readonly fusedRows: number;
}

const schema = serviceEnvSchema.extend({
  MODELS_DIR: z.string().min(1).optional(),
  IMAGE_WORKERS: envInt(1, 1, 64),
  IMAGE_THREADS_PER_WORKER: envInt(1, 1, 64),
  IMAGE_MAX_RUNNING: envInt(16, 1, 1024),
  IMAGE_MAX_WAITING: envInt(64, 0, 100_000),
  IMAGE_MAX_IMAGES: envInt(64, 1, 1024),
  IMAGE_FUSION: z.enum(['on', 'off']).default('on'),
  IMAGE_FUSED_ROWS: envInt(256, 2, 65_536),
});

/** Default ports of this service. */
export const IMAGE_PORTS = { port: 50051, metricsPort: 9461 };

/** Reads and validates the configuration once, at start. */
export function loadImageConfig(env: NodeJS.ProcessEnv): {
  service: ServiceConfig;
  image: ImageServiceSettings;
} {
  const e = parseEnv(schema, env);
  const modelsDir = resolve(e.MODELS_DIR ?? bundledModelsDir());
  if (!existsSync(modelsDir))
    throw new Error(`MODELS_DIR=${JSON.stringify(modelsDir)}: folder does not exist`);
  return {
    service: loadServiceConfig(env, IMAGE_PORTS),
    image: {
      modelsDir,
      workers: e.IMAGE_WORKERS,
      threadsPerWorker: e.IMAGE_THREADS_PER_WORKER,
      maxRunning: e.IMAGE_MAX_RUNNING,
      maxWaiting: e.IMAGE_MAX_WAITING,
      maxImages: e.IMAGE_MAX_IMAGES,
      fusion: e.IMAGE_FUSION === 'on',
      fusedRows: e.IMAGE_FUSED_ROWS,
    },
  };
}
