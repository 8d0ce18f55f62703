import type { Rng } from '@nextx/engine';
import type { OneStepPredictor } from '../models/linear-ar';

/**
 * Rolls the model forward `horizon` steps after `history`, feeding each prediction back as the
 * newest lag. `innovation` adds noise to every step (a residual draw); without it the roll-out
 * is the deterministic point forecast.
 */
export function rollout(
  model: OneStepPredictor,
  history: ArrayLike<number>,
  horizon: number,
  innovation?: () => number,
): Float64Array {
  const p = model.order;
  const buffer = new Float64Array(p + horizon);
  for (let i = 0; i < p; i++) buffer[i] = history[history.length - p + i];
  for (let h = 0; h < horizon; h++) {
    buffer[p + h] = model.predictAt(buffer, p + h) + (innovation ? innovation() : 0);
  }
  return buffer.subarray(p);
}

/**
 * Residual bootstrap: each path rolls the model forward with innovations drawn with replacement
 * from the centred in-sample residuals, so the paths carry the series' own error distribution.
 */
export function bootstrapPaths(
  model: OneStepPredictor,
  history: ArrayLike<number>,
  horizon: number,
  numPaths: number,
  residuals: Float64Array,
  rng: Rng,
): Float64Array[] {
  const draw = residualSampler(residuals, rng);
  return Array.from({ length: numPaths }, () => rollout(model, history, horizon, draw));
}

/** Draws with replacement from the centred residuals. */
export function residualSampler(residuals: Float64Array, rng: Rng): () => number {
  const mean = residuals.reduce((a, b) => a + b, 0) / residuals.length;
  const centred = residuals.map((r) => r - mean);
  return () => centred[rng.int(centred.length)];
}

/** Quantile of sorted values with linear interpolation (Hyndman–Fan type 7, numpy's default). */
export function quantileOfSorted(sorted: ArrayLike<number>, level: number): number {
  const position = (sorted.length - 1) * level;
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

/** Per-step quantiles and mean across paths. */
export function summarisePaths(
  paths: readonly Float64Array[],
  levels: readonly number[],
): { quantiles: Float64Array[]; mean: Float64Array } {
  const horizon = paths[0]?.length ?? 0;
  const quantiles = levels.map(() => new Float64Array(horizon));
  const mean = new Float64Array(horizon);
  const column = new Float64Array(paths.length);
  for (let h = 0; h < horizon; h++) {
    for (let k = 0; k < paths.length; k++) column[k] = paths[k][h];
    column.sort();
    mean[h] = column.reduce((a, b) => a + b, 0) / paths.length;
    levels.forEach((level, q) => (quantiles[q][h] = quantileOfSorted(column, level)));
  }
  return { quantiles, mean };
}
