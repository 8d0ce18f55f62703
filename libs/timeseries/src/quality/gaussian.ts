/** Σ coefficients[i] · x^i. */
function polynomial(coefficients: readonly number[], x: number): number {
  let sum = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) sum = sum * x + coefficients[i];
  return sum;
}

/** Numerical Recipes' `erfcc` Chebyshev fit: erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2). */
const ERFC_FIT = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];

/** Density of the standard normal distribution. */
export function standardNormalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Distribution function of the standard normal, Φ(x) = erfc(−x/√2)/2 (relative error below 1.2e-7). */
export function standardNormalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc = t * Math.exp(-z * z + polynomial(ERFC_FIT, t));
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** P. J. Acklam's rational approximations of the normal quantile, lowest power first. */
const CENTRAL_NUMERATOR = [
  2.506628277459239, -30.66479806614716, 138.357751867269, -275.9285104469687, 220.9460984245205,
  -39.69683028665376,
];
const CENTRAL_DENOMINATOR = [
  1, -13.28068155288572, 66.80131188771972, -155.6989798598866, 161.5858368580409,
  -54.47609879822406,
];
const TAIL_NUMERATOR = [
  2.938163982698783, 4.374664141464968, -2.549732539343734, -2.400758277161838, -0.3223964580411365,
  -0.007784894002430293,
];
const TAIL_DENOMINATOR = [
  1, 3.754408661907416, 2.445134137142996, 0.3224671290700398, 0.007784695709041462,
];
const TAIL_BELOW = 0.02425;

/** Quantile function of the standard normal (Acklam's algorithm, relative error below 1.2e-9). */
export function standardNormalQuantile(p: number): number {
  if (p <= 0 || p >= 1) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  if (p < TAIL_BELOW || p > 1 - TAIL_BELOW) {
    const q = Math.sqrt(-2 * Math.log(Math.min(p, 1 - p)));
    const x = polynomial(TAIL_NUMERATOR, q) / polynomial(TAIL_DENOMINATOR, q);
    return p < 0.5 ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (q * polynomial(CENTRAL_NUMERATOR, r)) / polynomial(CENTRAL_DENOMINATOR, r);
}
