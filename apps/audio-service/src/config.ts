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

/** Audio service settings beyond the common ones. */
export interface AudioServiceSettings extends GenerationSettings {
  /** Temporal fusion of concurrent AR requests. */
  readonly fusion: boolean;
  /** Rows (clips × 2 with guidance) of each AR model's shared fused batch. */
  readonly fusedRows: number;
}

const schema = serviceEnvSchema.extend({
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
  return {
    service: loadServiceConfig(env, AUDIO_PORTS),
    audio: {
      ...loadGenerationSettings(
        env,
        'AUDIO',
        // Two workers: 1.47x the throughput of one at 16 concurrent 1 s requests on the 2-core
        // reference machine (tools/bench/threading.ts); equal at one request at a time.
        { maxRunning: 16, maxWaiting: 64, workers: 2 },
        bundledModelsDir(),
      ),
      fusion: e.AUDIO_FUSION === 'on',
      fusedRows: e.AUDIO_FUSED_ROWS,
    },
  };
}
