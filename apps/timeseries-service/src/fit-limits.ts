import { InvalidArgumentError } from '@nextx/engine';
import { fitCost, type SeriesModelSpec } from '@nextx/timeseries';
import type { TimeSeriesLimits } from './config';

/**
 * Refuses a fit whose work bound (series rows × network weights × epochs) passes the service's
 * limit, before any work starts: one request must not hold a worker for minutes.
 */
export function checkFitCost(
  length: number,
  model: SeriesModelSpec,
  limits: TimeSeriesLimits,
): void {
  const cost = fitCost(length, model);
  if (cost > limits.maxFitCost)
    throw new InvalidArgumentError(
      'model.arnet',
      `series length × lags × hidden units × epochs <= ${limits.maxFitCost} (TS_MAX_FIT_COST)`,
      `this fit needs ${cost.toExponential(2)}`,
    );
}
