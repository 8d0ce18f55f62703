import { CholeskyDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
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
 * Smallest ratio of Cholesky pivots (smallest / largest diagonal of L) trusted: below it the
 * normal equations are numerically singular (a constant or alternating series makes the lag
 * columns collinear) and the fit falls back to the SVD.
 */
const MIN_PIVOT_RATIO = 1e-7;

/**
 * Classic AR(p) with intercept by ordinary least squares. The normal equations are solved by
 * Cholesky (cost n·p² + p³/3, so large p stays tractable); a rank-deficient or ill-conditioned
 * design falls back to the SVD's minimum-norm least-squares solution, so a constant series
 * fits a model that predicts that constant.
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
  const beta = wellConditioned(cholesky)
    ? cholesky.solve(xt.mmul(y))
    : new SingularValueDecomposition(x, { autoTranspose: true }).solve(y);
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

/** Whether the Cholesky factor exists and its pivots are far enough from singular. */
function wellConditioned(cholesky: CholeskyDecomposition): boolean {
  if (!cholesky.isPositiveDefinite()) return false;
  const l = cholesky.lowerTriangularMatrix;
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < l.rows; i++) {
    const d = Math.abs(l.get(i, i));
    min = Math.min(min, d);
    max = Math.max(max, d);
  }
  return max > 0 && min / max > MIN_PIVOT_RATIO;
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
