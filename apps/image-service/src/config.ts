import {
  envInt,
  loadGenerationSettings,
  loadServiceConfig,
  parseEnv,
  serviceEnvSchema,
  type GenerationSettings,
  type ServiceConfig,
} from '@nextx/config';
import { bundledModelsDir } from '@nextx/runtime';
import { z } from 'zod';

/** Image service settings beyond the common ones. */
export interface ImageServiceSettings extends GenerationSettings {
  /** Images per request. */
  readonly maxImages: number;
  /** Fusion of concurrent requests: raster ones per step, VAR ones in rounds of batched scales. */
  readonly fusion: boolean;
  /** Rows (images × 2 with guidance) of each raster model's fused batch and each VAR round. */
  readonly fusedRows: number;
}

const schema = serviceEnvSchema.extend({
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
  return {
    service: loadServiceConfig(env, IMAGE_PORTS),
    image: {
      ...loadGenerationSettings(
        env,
        'IMAGE',
        { maxRunning: 16, maxWaiting: 64 },
        bundledModelsDir(),
      ),
      maxImages: e.IMAGE_MAX_IMAGES,
      fusion: e.IMAGE_FUSION === 'on',
      fusedRows: e.IMAGE_FUSED_ROWS,
    },
  };
}
