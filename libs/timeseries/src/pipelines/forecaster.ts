import { createRng, InvalidArgumentError } from '@nextx/engine';
import { scoreHoldout, type HoldoutScores } from '../quality/holdout-scores';
import { mae, mase, rmse } from '../quality/metrics';
import {
  fitSeriesModel,
  stabiliseForRollout,
  type FittedSeriesModel,
  type SeriesModelSpec,
} from '../models/series-model';
import { bootstrapPaths, residualSampler, rollout, summarisePaths } from './simulate';

/** A forecast: point roll-out plus path statistics. */
export interface ForecastResult {
  readonly point: Float64Array;
  readonly mean: Float64Array;
  /** One array per requested level, in request order. */
  readonly quantiles: Float64Array[];
  readonly model: FittedSeriesModel;
  readonly inSample: { mae: number; rmse: number; mase: number; points: number };
  /** Scores on {@link ForecastOptions.holdout}, when one was given. */
  readonly holdoutScores?: HoldoutScores;
}

/** Forecast settings. */
export interface ForecastOptions {
  readonly horizon: number;
  readonly quantiles: readonly number[];
  readonly numPaths: number;
  readonly model: SeriesModelSpec;
  /** Values that followed the series (at most `horizon`), to score the forecast on. */
  readonly holdout?: readonly number[];
}

/**
 * Throws a named {@link InvalidArgumentError} when a roll-out left the float range (a fitted
 * non-linear AR-Net can diverge; linear fits are stabilised and stay finite), rather than
 * answering with NaN or ±Infinity.
 */
function requireFinite(field: string, steps: number, outputs: readonly ArrayLike<number>[]): void {
  for (const output of outputs) {
    for (let h = 0; h < output.length; h++) {
      if (!Number.isFinite(output[h]))
        throw new InvalidArgumentError(
          field,
          'a length the fitted model stays finite over',
          `the fitted model diverges to ${output[h]} at step ${h + 1} of ${steps}`,
        );
    }
  }
}

/** A forecast with the bootstrapped paths its quantiles and mean summarise. */
export interface ForecastWithPaths extends ForecastResult {
  /** `numPaths` sample paths of `horizon` steps (for sample scores such as CRPS). */
  readonly paths: Float64Array[];
}

/** Fits the model, rolls out the point forecast and bootstraps quantiles. */
export function forecastSeries(
  values: ArrayLike<number>,
  options: ForecastOptions,
  cancelled?: () => boolean,
): ForecastResult {
  // The paths stay behind: a service answer carries the summaries, not numPaths × horizon values.
  const { paths, ...forecast } = forecastSeriesWithPaths(values, options, cancelled);
  void paths;
  return forecast;
}

/** {@link forecastSeries} that also returns the sample paths. */
export function forecastSeriesWithPaths(
  values: ArrayLike<number>,
  options: ForecastOptions,
  cancelled?: () => boolean,
): ForecastWithPaths {
  const model = stabiliseForRollout(
    fitSeriesModel(values, options.model, cancelled),
    options.horizon,
  );
  const point = Float64Array.from(rollout(model.predictor, values, options.horizon));
  // The path stream is seeded apart from training so that changing epochs keeps paths comparable.
  const rng = createRng(options.model.seed);
  const paths = bootstrapPaths(
    model.predictor,
    values,
    options.horizon,
    options.numPaths,
    model.residuals,
    rng,
  );
  const { quantiles, mean } = summarisePaths(paths, options.quantiles);
  requireFinite('horizon', options.horizon, [point, mean, ...quantiles]);
  const fitted = Array.from(values).slice(model.order);
  const predicted = fitted.map((v, i) => v - model.residuals[i]);
  const holdoutScores = options.holdout?.length
    ? scoreHoldout(options.holdout, { point, paths }, values, options.model.seasonLength)
    : undefined;
  return {
    point,
    mean,
    quantiles,
    paths,
    model,
    holdoutScores,
    inSample: {
      mae: mae(fitted, predicted),
      rmse: rmse(fitted, predicted),
      mase: mase(fitted, predicted, values, options.model.seasonLength),
      points: fitted.length,
    },
  };
}

/** Generation settings. */
export interface GenerateOptions {
  readonly length: number;
  readonly numPaths: number;
  /** Start after the last observation (true) or from a random window of the history (false). */
  readonly continueSeries: boolean;
  readonly model: SeriesModelSpec;
}

/** Synthetic paths from the fitted model with bootstrapped innovations. */
export function generateSeries(
  values: ArrayLike<number>,
  options: GenerateOptions,
  cancelled?: () => boolean,
): { paths: Float64Array[]; model: FittedSeriesModel } {
  const model = stabiliseForRollout(
    fitSeriesModel(values, options.model, cancelled),
    options.length,
  );
  const rng = createRng(options.model.seed);
  const draw = residualSampler(model.residuals, rng);
  const paths: Float64Array[] = [];
  for (let k = 0; k < options.numPaths; k++) {
    const end = options.continueSeries
      ? values.length
      : model.order + rng.int(values.length - model.order + 1);
    const window = Array.prototype.slice.call(values, end - model.order, end) as number[];
    paths.push(Float64Array.from(rollout(model.predictor, window, options.length, draw)));
  }
  requireFinite('length', options.length, paths);
  return { paths, model };
}
