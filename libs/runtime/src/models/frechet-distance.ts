import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Mean and covariance (unbiased, as numpy's `np.cov`) of `items` feature rows of `dims` values. */
export function featureMoments(
  features: Float32Array,
  items: number,
  dims: number,
): { mean: Float64Array; covariance: Matrix } {
  const mean = new Float64Array(dims);
  for (let i = 0; i < items; i++) for (let d = 0; d < dims; d++) mean[d] += features[i * dims + d];
  for (let d = 0; d < dims; d++) mean[d] /= items;
  const centred = new Matrix(items, dims);
  for (let i = 0; i < items; i++)
    for (let d = 0; d < dims; d++) centred.set(i, d, features[i * dims + d] - mean[d]);
  const covariance = centred.transpose().mmul(centred).div(items - 1);
  return { mean, covariance };
}

/**
 * Fréchet distance between two feature sets (FID's formula, as tools/models `frechet_distance`):
 * ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½). tr((Σ₁Σ₂)^½) is the sum of the square roots of the
 * eigenvalues of Σ₁^½Σ₂Σ₁^½ (symmetric, same spectrum as Σ₁Σ₂), so only symmetric
 * eigendecompositions are needed.
 */
export function frechetDistance(
  a: { features: Float32Array; items: number },
  b: { features: Float32Array; items: number },
  dims: number,
): number {
  const x = featureMoments(a.features, a.items, dims);
  const y = featureMoments(b.features, b.items, dims);
  let meanTerm = 0;
  for (let d = 0; d < dims; d++) meanTerm += (x.mean[d] - y.mean[d]) ** 2;
  const root = symmetricSqrt(x.covariance);
  const inner = root.mmul(y.covariance).mmul(root);
  // Symmetrise against rounding before the symmetric decomposition.
  const symmetric = inner.add(inner.transpose()).div(2);
  const eigen = new EigenvalueDecomposition(symmetric, { assumeSymmetric: true });
  const traceSqrt = eigen.realEigenvalues.reduce((sum, v) => sum + Math.sqrt(Math.max(0, v)), 0);
  return meanTerm + x.covariance.trace() + y.covariance.trace() - 2 * traceSqrt;
}

/** The PSD square root of a symmetric matrix (negative rounding eigenvalues clipped to 0). */
function symmetricSqrt(m: Matrix): Matrix {
  const eigen = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const v = eigen.eigenvectorMatrix;
  const roots = Matrix.diag(eigen.realEigenvalues.map((e) => Math.sqrt(Math.max(0, e))));
  return v.mmul(roots).mmul(v.transpose());
}
