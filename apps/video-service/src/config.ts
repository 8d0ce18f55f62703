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
import { loadJobsConfig, type JobsConfig } from '@nextx/jobs';

/** Video service settings beyond the common ones. */
export interface VideoServiceSettings extends GenerationSettings {
  /** Frames of one GenerateClip call. */
  readonly maxFrames: number;
  /** Frames of one video job. */
  readonly maxJobFrames: number;
}

const schema = serviceEnvSchema.extend({
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
  return {
    service: loadServiceConfig(env, VIDEO_PORTS),
    video: {
      ...loadGenerationSettings(
        env,
        'VIDEO',
        { maxRunning: 4, maxWaiting: 32 },
        bundledModelsDir(),
      ),
      maxFrames: e.VIDEO_MAX_FRAMES,
      maxJobFrames: e.VIDEO_MAX_JOB_FRAMES,
    },
    jobs: env['KAFKA_BROKERS'] ? loadJobsConfig(env) : undefined,
  };
}
