import { summarisePaths } from '../pipelines/simulate';
import { crpsFromSamples, mase, weightedQuantileLoss } from './metrics';

/** The levels the WQL is taken over (Chronos' evaluation: 0.1, 0.2, …, 0.9). */
export const WQL_LEVELS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;

/** How a forecast did on the values that followed its series. */
export interface HoldoutScores {
  readonly points: number;
  readonly mase: number;
  readonly wql: number;
  readonly crps: number;
  readonly crpsScaled: number;
}

/**
 * Scores a forecast on `holdout` (the first `holdout.length` steps of the forecast): MASE of the
 * point forecast, WQL over {@link WQL_LEVELS} of the paths' quantiles, CRPS of the paths — the
 * same figures for every method, so the bench and a request's scores compare like with like.
 */
export function scoreHoldout(
  holdout: ArrayLike<number>,
  forecast: { readonly point: ArrayLike<number>; readonly paths: readonly Float64Array[] },
  history: ArrayLike<number>,
  seasonLength: number,
): HoldoutScores {
  const n = holdout.length;
  const paths = forecast.paths.map((p) => p.subarray(0, n));
  const { quantiles } = summarisePaths(paths, WQL_LEVELS);
  const { crps, scaled } = crpsFromSamples(holdout, paths);
  return {
    points: n,
    mase: mase(holdout, Array.prototype.slice.call(forecast.point, 0, n), history, seasonLength),
    wql: weightedQuantileLoss(holdout, WQL_LEVELS, quantiles),
    crps,
    crpsScaled: scaled,
  };
}
