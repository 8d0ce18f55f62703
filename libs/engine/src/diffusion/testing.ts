/**
 * The exact ε-prediction for N(μ, σ²) data under x_t = √ᾱ_t·x + √(1 − ᾱ_t)·ε (a test double
 * with a known answer): x_t ~ N(√ᾱμ, V), V = ᾱσ² + 1 − ᾱ, Cov(ε, x_t) = √(1 − ᾱ), so
 * E[ε | x_t] = √(1 − ᾱ)/V·(x_t − √ᾱ·μ).
 */
export function gaussianEpsilon(
  mu: number,
  sigma: number,
  alphasCumprod: Float64Array,
): (sample: Float32Array, t: number) => Float32Array {
  return (sample, t) => {
    const alphaBar = alphasCumprod[t];
    const variance = alphaBar * sigma * sigma + 1 - alphaBar;
    const gain = Math.sqrt(1 - alphaBar) / variance;
    const shift = Math.sqrt(alphaBar) * mu;
    return sample.map((x) => gain * (x - shift));
  };
}
