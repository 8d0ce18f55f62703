import { InvalidArgumentError, MAX_SEED, randomSeed } from '@nextx/engine';
import { check } from '@nextx/grpc';
import { timeseries } from '@nextx/proto';
import {
  maxAutoOrder,
  type ChronosCatalog,
  type ChronosModelEntry,
  type SeriesMethod,
  type SeriesModelSpec,
} from '@nextx/timeseries';
import type { TimeSeriesLimits } from './config';

const { Method } = timeseries;

/** Default number of simulated paths for quantiles. */
export const DEFAULT_PATHS = 200;
/** Smallest number of fitted rows AR-Net trains on. */
const MIN_ARNET_ROWS = 10;

const METHODS: Record<string, SeriesMethod> = {
  [Method.METHOD_UNSPECIFIED]: 'auto',
  [Method.METHOD_AUTO]: 'auto',
  [Method.METHOD_AR]: 'ar',
  [Method.METHOD_ARNET]: 'arnet',
};

/** Validates the series; returns its values. */
export function validateSeries(
  series: timeseries.Series | undefined,
  limits: TimeSeriesLimits,
): number[] {
  if (!series) throw new InvalidArgumentError('series', 'required', 'missing');
  const { values, timestampsMs } = series;
  check.length('series.values', values, limits.minSeriesLength, limits.maxSeriesLength);
  check.finite('series.values', values);
  if (timestampsMs.length > 0) {
    if (timestampsMs.length !== values.length) {
      throw new InvalidArgumentError(
        'series.timestamps_ms',
        'empty or one per value',
        `got ${timestampsMs.length} timestamps for ${values.length} values`,
      );
    }
    check.increasing('series.timestamps_ms', timestampsMs);
  }
  check.range('series.season_length', series.seasonLength, 0, Math.floor(values.length / 2), true);
  return values;
}

/**
 * Validates the model spec against the series length and resolves defaults; `seed` is the
 * request's (0 = pick one).
 */
export function validateModelSpec(
  spec: timeseries.ModelSpec | undefined,
  requestSeed: number,
  series: timeseries.Series,
  limits: TimeSeriesLimits,
): SeriesModelSpec {
  const n = series.values.length;
  const method = METHODS[spec?.method ?? Method.METHOD_UNSPECIFIED];
  if (!method) {
    throw new InvalidArgumentError(
      'model.method',
      'one of METHOD_AUTO, METHOD_AR, METHOD_ARNET, METHOD_CHRONOS',
      `got ${String(spec?.method)}`,
    );
  }
  const order = spec?.order ?? 0;
  if (order >= n) {
    throw new InvalidArgumentError('model.order', `< series length ${n}`, `got ${order}`);
  }
  check.range('model.order', order, 0, limits.maxOrder, true);
  // Least squares needs more rows than coefficients; AR-Net needs some rows to train on.
  const neededRows = method === 'arnet' ? MIN_ARNET_ROWS : order + 2;
  if (order > 0 && n - order < neededRows) {
    const maxOrder = method === 'arnet' ? n - MIN_ARNET_ROWS : Math.floor((n - 2) / 2);
    throw new InvalidArgumentError(
      'model.order',
      `<= ${maxOrder} for ${n} values with method ${method}`,
      `got ${order}`,
    );
  }
  if (order === 0 && maxAutoOrder(n, series.seasonLength) < 1) {
    throw new InvalidArgumentError(
      'series.values',
      `>= ${limits.minSeriesLength} values`,
      `got ${n}`,
    );
  }
  const seed = requestSeed || randomSeed();
  check.range('seed', seed, 0, MAX_SEED, true);
  const arnet = spec?.arnet;
  if (arnet) {
    arnet.hiddenLayers.forEach((units, i) =>
      check.range(`model.arnet.hidden_layers[${i}]`, units, 1, limits.maxHiddenUnits, true),
    );
    check.range('model.arnet.hidden_layers', arnet.hiddenLayers.length, 0, 8, true);
    check.range('model.arnet.sparsity', arnet.sparsity, 0, 1);
    check.range('model.arnet.epochs', arnet.epochs, 0, limits.maxEpochs, true);
    check.range('model.arnet.learning_rate', arnet.learningRate, 0, 1);
    check.range('model.arnet.batch_size', arnet.batchSize, 0, 65_536, true);
  }
  return {
    method,
    order,
    seed,
    seasonLength: series.seasonLength,
    arnet: arnet && {
      hiddenLayers: arnet.hiddenLayers,
      sparsity: arnet.sparsity || undefined,
      epochs: arnet.epochs || undefined,
      learningRate: arnet.learningRate || undefined,
      batchSize: arnet.batchSize || undefined,
    },
  };
}

/** Checks that horizon × paths stays within the simulation budget. */
export function validateSimulationSize(
  field: string,
  steps: number,
  paths: number,
  limits: TimeSeriesLimits,
): void {
  if (steps * paths > limits.maxSimulatedValues) {
    throw new InvalidArgumentError(
      field,
      `${field} × num_paths <= ${limits.maxSimulatedValues}`,
      `got ${steps} × ${paths}`,
    );
  }
}

/** The holdout values of a Forecast (at most `horizon`, finite); empty when none were sent. */
export function validateHoldout(holdout: readonly number[], horizon: number): number[] {
  check.length('holdout', holdout, 0, horizon);
  check.finite('holdout', holdout);
  return [...holdout];
}

/** A METHOD_CHRONOS request resolved against the model's manifest defaults. */
export interface ChronosRequest {
  readonly entry: ChronosModelEntry;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly seed: number;
}

/**
 * Validates a METHOD_CHRONOS model spec: the model exists (empty name: the first one), nothing
 * of the fitted methods is set, sampling is inside its range; zero values take the defaults.
 */
export function validateChronosSpec(
  spec: timeseries.ModelSpec,
  requestSeed: number,
  catalog: ChronosCatalog,
): ChronosRequest {
  if (spec.order)
    throw new InvalidArgumentError('model.order', '0 for METHOD_CHRONOS', `got ${spec.order}`);
  if (spec.arnet) throw new InvalidArgumentError('model.arnet', 'unset for METHOD_CHRONOS', 'set');
  const options = spec.chronos;
  const name = check.text('model.chronos.model', options?.model ?? '', 128);
  const entry = catalog.get(name);
  const { defaults, vocabSize } = entry.facts;
  const seed = requestSeed || randomSeed();
  check.range('seed', seed, 0, MAX_SEED, true);
  return {
    entry,
    temperature: options?.temperature
      ? check.range('model.chronos.temperature', options.temperature, 1e-3, 10)
      : defaults.temperature,
    topK: options?.topK
      ? check.range('model.chronos.top_k', options.topK, 1, vocabSize, true)
      : defaults.topK,
    topP: options?.topP ? check.range('model.chronos.top_p', options.topP, 1e-3, 1) : defaults.topP,
    seed,
  };
}
