/** Supervised view of a series for an AR(p) fit: row r predicts `y[r]` from its p previous values. */
export interface LagDesign {
  /** Row-major rows × p matrix; column i holds lag i + 1. */
  readonly x: Float64Array;
  /** Targets, one per row. */
  readonly y: Float64Array;
  readonly rows: number;
  readonly order: number;
}

/**
 * Builds the lag design of `values` for order `order`, with targets from index `start`
 * (default `order`; a larger start lets fits of different orders share one sample, as AIC needs).
 */
export function lagDesign(values: ArrayLike<number>, order: number, start = order): LagDesign {
  if (start < order) throw new RangeError(`start ${start} < order ${order}`);
  const rows = values.length - start;
  if (rows <= 0)
    throw new RangeError(`series of ${values.length} values is too short for start ${start}`);
  const x = new Float64Array(rows * order);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const t = start + r;
    y[r] = values[t];
    const offset = r * order;
    for (let i = 0; i < order; i++) x[offset + i] = values[t - 1 - i];
  }
  return { x, y, rows, order };
}
