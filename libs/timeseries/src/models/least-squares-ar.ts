import { CholeskyDecomposition, Matrix, QrDecomposition } from 'ml-matrix';
import { lagDesign } from './lag-design';
import { LinearArModel } from './linear-ar';

/** Result of an ordinary-least-squares AR fit. */
export interface LeastSquaresArFit {
  readonly model: LinearArModel;
  /** Residual sum of squares over the fitted rows. */
  readonly rss: number;
  /** Number of fitted rows. */
  readonly rows: number;
}

/**
 * Classic AR(p) with intercept by ordinary least squares. The normal equations are solved by
 * Cholesky (cost n·p² + p³/3, so large p stays tractable); a rank-deficient design falls back
 * to QR, which handles it in the least-squares sense.
 */
export function fitLeastSquaresAr(
  values: ArrayLike<number>,
  order: number,
  start = order,
): LeastSquaresArFit {
  const design = lagDesign(values, order, start);
  const { rows } = design;
  const cols = order + 1;
  if (rows < cols) {
    throw new RangeError(`AR(${order}) needs at least ${cols} fitted rows, series gives ${rows}`);
  }
  const x = new Matrix(rows, cols);
  for (let r = 0; r < rows; r++) {
    x.set(r, 0, 1);
    for (let i = 0; i < order; i++) x.set(r, i + 1, design.x[r * order + i]);
  }
  const y = Matrix.columnVector(Array.from(design.y));
  const xt = x.transpose();
  const gram = xt.mmul(x);
  const cholesky = new CholeskyDecomposition(gram);
  const beta = cholesky.isPositiveDefinite()
    ? cholesky.solve(xt.mmul(y))
    : new QrDecomposition(x).solve(y);
  const coefficients = new Float64Array(order);
  for (let i = 0; i < order; i++) coefficients[i] = beta.get(i + 1, 0);
  const model = new LinearArModel(coefficients, beta.get(0, 0));
  let rss = 0;
  for (let r = 0; r < rows; r++) {
    const e = design.y[r] - model.predictAt(values, start + r);
    rss += e * e;
  }
  return { model, rss, rows };
}

/**
 * Chooses the AR order in 1 … maxOrder with the smallest AIC, all candidates fitted on the
 * same rows (from index maxOrder) so that their likelihoods are comparable.
 */
export function selectOrderByAic(values: ArrayLike<number>, maxOrder: number): number {
  let bestOrder = 1;
  let bestAic = Infinity;
  for (let p = 1; p <= maxOrder; p++) {
    const { rss, rows } = fitLeastSquaresAr(values, p, maxOrder);
    const aic = rows * Math.log(Math.max(rss / rows, Number.MIN_VALUE)) + 2 * (p + 1);
    if (aic < bestAic) {
      bestAic = aic;
      bestOrder = p;
    }
  }
  return bestOrder;
}
