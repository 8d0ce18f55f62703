import {
  loadGenerationSettings,
  loadServiceConfig,
  type GenerationSettings,
  type ServiceConfig,
} from '@nextx/config';
import { bundledModelsDir } from '@nextx/runtime';

/** Shape service settings (`SHAPE_WORKERS`, `_THREADS_PER_WORKER`, `_MAX_RUNNING`, `_MAX_WAITING`). */
export type ShapeServiceSettings = GenerationSettings;

/** Default ports of this service. */
export const SHAPE_PORTS = { port: 50056, metricsPort: 9467 };

/** Reads and validates the configuration once, at start. */
export function loadShapeConfig(env: NodeJS.ProcessEnv): {
  service: ServiceConfig;
  shape: ShapeServiceSettings;
} {
  return {
    service: loadServiceConfig(env, SHAPE_PORTS),
    shape: loadGenerationSettings(
      env,
      'SHAPE',
      { maxRunning: 4, maxWaiting: 64 },
      bundledModelsDir(),
    ),
  };
}
