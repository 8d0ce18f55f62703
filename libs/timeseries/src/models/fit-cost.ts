import { maxAutoOrder, type SeriesModelSpec } from './series-model';

/** Epochs AR-Net runs at most when a request leaves them to the automatic rule. */
const MAX_AUTO_EPOCHS = 1000;

/**
 * An upper bound on the work of fitting `spec` to a series of `length` values, in weight
 * updates: rows × network weights × epochs for AR-Net (and for `auto`, which may choose it),
 * rows × lags² for least squares. Known before any work starts, so a service can refuse a
 * request it would never finish in time.
 */
export function fitCost(length: number, spec: SeriesModelSpec): number {
  const order = spec.order || maxAutoOrder(length, spec.seasonLength);
  const rows = Math.max(1, length - order);
  const leastSquares = rows * order * order;
  if (spec.method === 'ar') return leastSquares;
  const sizes = [order, ...(spec.arnet?.hiddenLayers ?? []), 1];
  const weights = sizes.slice(1).reduce((sum, outputs, i) => sum + (sizes[i] + 1) * outputs, 0);
  const epochs = spec.arnet?.epochs || MAX_AUTO_EPOCHS;
  return Math.max(leastSquares, rows * weights * epochs);
}
