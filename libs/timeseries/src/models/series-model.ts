import { stabiliseAr } from './ar-stability';
import { fitArNet } from './arnet';
import { fitLeastSquaresAr, selectOrderByAic } from './least-squares-ar';
import { inSampleResiduals, LinearArModel, type OneStepPredictor } from './linear-ar';

/** Model families the service fits. */
export type SeriesMethod = 'auto' | 'ar' | 'arnet';

/** Above this order AUTO prefers AR-Net, whose cost grows linearly in p (least squares: p²). */
export const AUTO_ARNET_MIN_ORDER = 128;

/**
 * From this many values on AUTO fits AR-Net at the AIC order ("when the series is long enough",
 * as the proto says): enough rows for its mini-batch training to settle. The order rule alone was
 * unreachable, since the AIC search never goes near {@link AUTO_ARNET_MIN_ORDER} on its own.
 */
export const AUTO_ARNET_MIN_LENGTH = 2_000;

/** The method AUTO resolves to for a series of `length` values fitted at `order`. */
export function autoMethod(length: number, order: number): 'ar' | 'arnet' {
  return length >= AUTO_ARNET_MIN_LENGTH || order > AUTO_ARNET_MIN_ORDER ? 'arnet' : 'ar';
}

/** What to fit. */
export interface SeriesModelSpec {
  readonly method: SeriesMethod;
  /** Lags p; 0 = chosen by AIC. */
  readonly order: number;
  readonly seed: number;
  /** Seasonal period, used to size the AIC search. */
  readonly seasonLength: number;
  readonly arnet?: {
    readonly hiddenLayers?: readonly number[];
    readonly sparsity?: number;
    readonly epochs?: number;
    readonly learningRate?: number;
    readonly batchSize?: number;
  };
}

/** A fitted one-step model with what the API reports about it. */
export interface FittedSeriesModel {
  readonly method: 'ar' | 'arnet';
  readonly order: number;
  readonly predictor: OneStepPredictor;
  /** Lag weights (undefined for AR-Net with hidden layers, which has no linear form). */
  readonly coefficients?: Float64Array;
  readonly intercept: number;
  /** One-step-ahead in-sample residuals. */
  readonly residuals: Float64Array;
  readonly residualStd: number;
  readonly fitMs: number;
  readonly epochs: number;
  /**
   * Factor (≤ 1) the fitted roots were scaled by to make an explosive linear fit stable; 1 when
   * the fit was stable as it came (see `stabiliseAr`).
   */
  readonly rootScale: number;
}

/** Largest order the AIC search tries: enough for two seasons, a third of the series at most. */
export function maxAutoOrder(length: number, seasonLength: number): number {
  const wanted = Math.max(2 * Math.max(1, seasonLength) + 2, Math.floor(10 * Math.log10(length)));
  return Math.max(1, Math.min(wanted, Math.floor((length - 1) / 3)));
}

/** Fits the requested model to `values`. */
export function fitSeriesModel(
  values: ArrayLike<number>,
  spec: SeriesModelSpec,
  cancelled?: () => boolean,
): FittedSeriesModel {
  const started = performance.now();
  const order =
    spec.order || selectOrderByAic(values, maxAutoOrder(values.length, spec.seasonLength));
  const method =
    spec.method === 'auto' ? autoMethod(values.length, order) : spec.method;
  let predictor: OneStepPredictor;
  let coefficients: Float64Array | undefined;
  let intercept = 0;
  let epochs = 0;
  if (method === 'ar') {
    const { model } = fitLeastSquaresAr(values, order);
    predictor = model;
    coefficients = model.coefficients;
    intercept = model.intercept;
  } else {
    const fit = fitArNet(values, { order, seed: spec.seed, ...spec.arnet }, cancelled);
    predictor = fit.model;
    epochs = fit.epochs;
    const linear = fit.model.linearCoefficients();
    coefficients = linear?.coefficients;
    intercept = linear?.intercept ?? 0;
  }
  const residuals = inSampleResiduals(predictor, values);
  const residualStd = Math.sqrt(residuals.reduce((a, r) => a + r * r, 0) / residuals.length);
  return {
    method,
    order,
    predictor,
    coefficients,
    intercept,
    residuals,
    residualStd,
    fitMs: performance.now() - started,
    epochs,
    rootScale: 1,
  };
}

/**
 * Largest growth an explosive fit may show over the roll-out: beyond it (ρ^steps > this, ρ the
 * spectral radius) the roll-out is extrapolated garbage on its way to ±Infinity and NaN.
 */
export const MAX_ROLLOUT_GROWTH = 1e3;

/**
 * The model to roll out `steps` ahead: a linear fit whose explosive roots would grow by more
 * than {@link MAX_ROLLOUT_GROWTH} over the steps gets its roots scaled to just inside the unit
 * circle (`stabiliseAr`; `rootScale` reports the factor); any other fit is returned as it is,
 * so short forecasts of a trending series keep their trend.
 */
export function stabiliseForRollout(model: FittedSeriesModel, steps: number): FittedSeriesModel {
  if (!model.coefficients) return model;
  const stable = stabiliseAr(model.coefficients);
  if (stable.scale === 1 || (1 / stable.scale) ** steps <= MAX_ROLLOUT_GROWTH) return model;
  return {
    ...model,
    coefficients: stable.coefficients,
    predictor: new LinearArModel(stable.coefficients, model.intercept),
    rootScale: stable.scale,
  };
}
