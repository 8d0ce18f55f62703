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
