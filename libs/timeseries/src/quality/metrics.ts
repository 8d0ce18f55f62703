import { standardNormalCdf, standardNormalPdf } from './gaussian';

/** Mean absolute error. */
export function mae(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(actual[i] - predicted[i]);
  return sum / actual.length;
}

/** Root mean squared error. */
export function rmse(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += (actual[i] - predicted[i]) ** 2;
  return Math.sqrt(sum / actual.length);
}

/** In-sample MAE of the seasonal-naive forecast y_t = y_{t−m}: the MASE denominator. */
export function seasonalNaiveScale(history: ArrayLike<number>, seasonLength: number): number {
  const m = Math.max(1, seasonLength);
  let sum = 0;
  for (let t = m; t < history.length; t++) sum += Math.abs(history[t] - history[t - m]);
  return sum / (history.length - m);
}

/** Mean absolute scaled error (Hyndman & Koehler 2006). */
export function mase(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  history: ArrayLike<number>,
  seasonLength: number,
): number {
  return mae(actual, predicted) / seasonalNaiveScale(history, seasonLength);
}

/** Seasonal-naive forecast: repeats the last observed season. */
export function seasonalNaiveForecast(
  history: ArrayLike<number>,
  horizon: number,
  seasonLength: number,
): Float64Array {
  const m = Math.max(1, seasonLength);
  const out = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) out[h] = history[history.length - m + (h % m)];
  return out;
}

/**
 * Weighted quantile loss (Chronos, Ansari et al. 2024, eq. 4; GluonTS `mean_weighted_sum_quantile_loss`):
 * for each level q the pinball loss summed over the steps, times 2, over Σ|y|, then the mean over
 * the levels. `forecasts[k]` holds level `levels[k]` per step.
 */
export function weightedQuantileLoss(
  actual: ArrayLike<number>,
  levels: readonly number[],
  forecasts: readonly ArrayLike<number>[],
): number {
  let scale = 0;
  for (let t = 0; t < actual.length; t++) scale += Math.abs(actual[t]);
  let total = 0;
  levels.forEach((q, k) => {
    let loss = 0;
    for (let t = 0; t < actual.length; t++) {
      const d = actual[t] - forecasts[k][t];
      loss += Math.max(q * d, (q - 1) * d);
    }
    total += (2 * loss) / scale;
  });
  return total / levels.length;
}

/**
 * Continuous ranked probability score of sample paths (the energy form E|X − y| − ½E|X − X'|,
 * over every pair of paths), averaged over the steps; `scaled` divides the sum by Σ|y| as the
 * WQL does, so series of any magnitude compare.
 */
export function crpsFromSamples(
  actual: ArrayLike<number>,
  paths: readonly ArrayLike<number>[],
): { crps: number; scaled: number } {
  const n = paths.length;
  let sum = 0;
  let scale = 0;
  for (let t = 0; t < actual.length; t++) {
    let spread = 0;
    let miss = 0;
    for (let i = 0; i < n; i++) {
      miss += Math.abs(paths[i][t] - actual[t]);
      for (let j = 0; j < n; j++) spread += Math.abs(paths[i][t] - paths[j][t]);
    }
    sum += miss / n - spread / (2 * n * n);
    scale += Math.abs(actual[t]);
  }
  return { crps: sum / actual.length, scaled: sum / scale };
}

/**
 * CRPS of Gaussian forecasts N(mean_t, std_t²) in closed form (Gneiting & Raftery 2007):
 * σ[z(2Φ(z) − 1) + 2φ(z) − 1/√π] with z = (y − μ)/σ, averaged over the steps; `scaled` divides
 * the sum by Σ|y| as {@link crpsFromSamples} does. A zero σ scores |y − μ|.
 */
export function crpsGaussian(
  actual: ArrayLike<number>,
  mean: ArrayLike<number>,
  std: ArrayLike<number>,
): { crps: number; scaled: number } {
  let sum = 0;
  let scale = 0;
  for (let t = 0; t < actual.length; t++) {
    const error = actual[t] - mean[t];
    if (std[t] > 0) {
      const z = error / std[t];
      sum +=
        std[t] *
        (z * (2 * standardNormalCdf(z) - 1) + 2 * standardNormalPdf(z) - 1 / Math.sqrt(Math.PI));
    } else sum += Math.abs(error);
    scale += Math.abs(actual[t]);
  }
  return { crps: sum / actual.length, scaled: sum / scale };
}
