import {
  envInt,
  loadServiceConfig,
  parseEnv,
  serviceEnvSchema,
  type ServiceConfig,
} from '@nextx/config';
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
});

/** Default ports of this service. */
export const TIMESERIES_PORTS = { port: 50055, metricsPort: 9465 };

/** Reads and validates the whole configuration once, at start. */
export function loadTimeSeriesConfig(env: NodeJS.ProcessEnv): {
  service: ServiceConfig;
  limits: TimeSeriesLimits;
} {
  // One pass over both schemas so that every bad variable is reported at once.
  const l = parseEnv(serviceEnvSchema.extend(limitsSchema.shape), env);
  const service = loadServiceConfig(env, TIMESERIES_PORTS);
  return {
    service,
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
