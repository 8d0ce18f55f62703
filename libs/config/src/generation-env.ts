import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseEnv } from './parse-env';
import { envInt } from './env-values';

/** What every model-serving service reads alike, each under its own prefix (`IMAGE_`, …). */
export interface GenerationSettings {
  /** Model repository folder. */
  readonly modelsDir: string;
  /** Generation worker threads. */
  readonly workers: number;
  /** onnxruntime intra-op threads per worker. */
  readonly threadsPerWorker: number;
  /** Requests generating at once. */
  readonly maxRunning: number;
  /** Requests waiting beyond that; more are refused with RESOURCE_EXHAUSTED. */
  readonly maxWaiting: number;
}

/**
 * Reads `MODELS_DIR` and `<prefix>_WORKERS`, `_THREADS_PER_WORKER`, `_MAX_RUNNING`,
 * `_MAX_WAITING` once, at start; a models folder that does not exist stops the service.
 * @param defaults the service's own defaults (workers: 1 unless it sets more; threads per worker
 *   are 1 everywhere: on the 2-core reference machine two intra-op threads per worker lowered
 *   throughput to 0.6–0.73× in `tools/bench/threading.ts`)
 * @param bundledModelsDir the folder used when `MODELS_DIR` is unset
 */
export function loadGenerationSettings(
  env: NodeJS.ProcessEnv,
  prefix: string,
  defaults: { readonly maxRunning: number; readonly maxWaiting: number; readonly workers?: number },
  bundledModelsDir: string,
): GenerationSettings {
  const schema = z.object({
    MODELS_DIR: z.string().min(1).optional(),
    [`${prefix}_WORKERS`]: envInt(defaults.workers ?? 1, 1, 64),
    [`${prefix}_THREADS_PER_WORKER`]: envInt(1, 1, 64),
    [`${prefix}_MAX_RUNNING`]: envInt(defaults.maxRunning, 1, 1024),
    [`${prefix}_MAX_WAITING`]: envInt(defaults.maxWaiting, 0, 100_000),
  });
  const e = parseEnv(schema, env) as Record<string, number> & { MODELS_DIR?: string };
  const modelsDir = resolve(e.MODELS_DIR ?? bundledModelsDir);
  if (!existsSync(modelsDir))
    throw new Error(`MODELS_DIR=${JSON.stringify(modelsDir)}: folder does not exist`);
  return {
    modelsDir,
    workers: e[`${prefix}_WORKERS`],
    threadsPerWorker: e[`${prefix}_THREADS_PER_WORKER`],
    maxRunning: e[`${prefix}_MAX_RUNNING`],
    maxWaiting: e[`${prefix}_MAX_WAITING`],
  };
}
