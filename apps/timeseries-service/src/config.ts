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

/** Per-request limits of the time-series service. */
export interface TimeSeriesLimits {
  readonly minSeriesLength: number;
  readonly maxSeriesLength: number;
  readonly maxHorizon: number;
  readonly maxPaths: number;
  readonly maxOrder: number;
  readonly maxEpochs: number;
  readonly maxHiddenUnits: number;
  /** Upper bound on simulated values per call (horizon × paths). */
  readonly maxSimulatedValues: number;
  /** Worker threads that run fits. */
  readonly workers: number;
  /** Fits running at once; more wait in the queue. */
  readonly maxRunning: number;
  /** Fits waiting beyond that; more are refused with RESOURCE_EXHAUSTED. */
  readonly maxWaiting: number;
  /** Upper bound on one fit's work (series rows × network weights × epochs, see `fitCost`). */
  readonly maxFitCost: number;
}

const limitsSchema = z.object({
  TS_MIN_SERIES_LENGTH: envInt(8, 4, 1_000_000),
  TS_MAX_SERIES_LENGTH: envInt(100_000, 10, 10_000_000),
  TS_MAX_HORIZON: envInt(10_000, 1, 1_000_000),
  TS_MAX_PATHS: envInt(5_000, 1, 1_000_000),
  TS_MAX_ORDER: envInt(2_048, 1, 100_000),
  TS_MAX_EPOCHS: envInt(2_000, 1, 1_000_000),
  TS_MAX_HIDDEN_UNITS: envInt(1_024, 1, 1_000_000),
  TS_MAX_SIMULATED_VALUES: envInt(20_000_000, 1, 1_000_000_000),
  TS_WORKERS: envInt(2, 1, 64),
  TS_MAX_RUNNING: envInt(2, 1, 1024),
  TS_MAX_WAITING: envInt(64, 0, 100_000),
  TS_MAX_FIT_COST: envInt(20_000_000_000, 1, Number.MAX_SAFE_INTEGER),
  TS_CHRONOS_FUSED_ROWS: envInt(80, 0, 4096),
});

/**
 * The pretrained forecasters (`chronos` models of MODELS_DIR): their own worker pool and queue
 * (`TS_CHRONOS_WORKERS`, `_THREADS_PER_WORKER`, `_MAX_RUNNING`, `_MAX_WAITING`), apart from the
 * fits, so a long AR-Net fit never holds up a 50 ms zero-shot forecast.
 */
export interface ChronosSettings extends GenerationSettings {
  /**
   * Rows of each model's fused batch (a forecast takes num_paths rows; concurrent forecasts
   * share one batched forward per step); 0 = every forecast runs alone. Each row holds a KV
   * cache of the model's whole length (chronos-corpus: 3.3 MB a row).
   */
  readonly fusedRows: number;
}

/** Default ports of this service. */
export const TIMESERIES_PORTS = { port: 50055, metricsPort: 9465 };

/** Reads and validates the whole configuration once, at start. */
export function loadTimeSeriesConfig(env: NodeJS.ProcessEnv): {
  service: ServiceConfig;
  limits: TimeSeriesLimits;
  chronos: ChronosSettings;
} {
  // One pass over both schemas so that every bad variable is reported at once.
  const l = parseEnv(serviceEnvSchema.extend(limitsSchema.shape), env);
  const service = loadServiceConfig(env, TIMESERIES_PORTS);
  const chronos: ChronosSettings = {
    ...loadGenerationSettings(
      env,
      'TS_CHRONOS',
      { maxRunning: 16, maxWaiting: 64 },
      bundledModelsDir(),
    ),
    fusedRows: l.TS_CHRONOS_FUSED_ROWS,
  };
  return {
    service,
    chronos,
    limits: {
      minSeriesLength: l.TS_MIN_SERIES_LENGTH,
      maxSeriesLength: l.TS_MAX_SERIES_LENGTH,
      maxHorizon: l.TS_MAX_HORIZON,
      maxPaths: l.TS_MAX_PATHS,
      maxOrder: l.TS_MAX_ORDER,
      maxEpochs: l.TS_MAX_EPOCHS,
      maxHiddenUnits: l.TS_MAX_HIDDEN_UNITS,
      maxSimulatedValues: l.TS_MAX_SIMULATED_VALUES,
      workers: l.TS_WORKERS,
      maxRunning: l.TS_MAX_RUNNING,
      maxWaiting: l.TS_MAX_WAITING,
      maxFitCost: l.TS_MAX_FIT_COST,
    },
  };
}
