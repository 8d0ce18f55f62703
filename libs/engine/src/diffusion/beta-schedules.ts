import { InvalidArgumentError } from '../errors/invalid-argument';

/** Named noise schedules of the ADM/DiT/MAR `gaussian_diffusion.get_named_beta_schedule`. */
export type BetaScheduleName = 'linear' | 'cosine';

/**
 * Ho et al.'s linear betas, scaled so that any step count keeps the same overall noise:
 * `linspace(1e-4·1000/T, 0.02·1000/T, T)` in float64.
 */
export function linearBetas(numTimesteps: number): Float64Array {
  checkCount(numTimesteps);
  const scale = 1000 / numTimesteps;
  const start = scale * 0.0001;
  const end = scale * 0.02;
  const betas = new Float64Array(numTimesteps);
  for (let i = 0; i < numTimesteps; i++) {
    betas[i] = numTimesteps === 1 ? start : start + ((end - start) * i) / (numTimesteps - 1);
  }
  return betas;
}

/**
 * Nichol & Dhariwal's cosine schedule: ᾱ(t) = cos²((t + 0.008)/1.008 · π/2) discretised as
 * β_i = min(1 − ᾱ((i+1)/T)/ᾱ(i/T), 0.999); the clip keeps the last step from being pure noise
 * with β = 1 (MAR's head uses this schedule).
 */
export function cosineBetas(numTimesteps: number, maxBeta = 0.999): Float64Array {
  checkCount(numTimesteps);
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const betas = new Float64Array(numTimesteps);
  for (let i = 0; i < numTimesteps; i++) {
    betas[i] = Math.min(1 - alphaBar((i + 1) / numTimesteps) / alphaBar(i / numTimesteps), maxBeta);
  }
  return betas;
}

/** The betas of a named schedule. */
export function betaSchedule(name: BetaScheduleName, numTimesteps: number): Float64Array {
  switch (name) {
    case 'linear':
      return linearBetas(numTimesteps);
    case 'cosine':
      return cosineBetas(numTimesteps);
    default:
      throw new InvalidArgumentError('noise_schedule', 'linear | cosine', `got ${String(name)}`);
  }
}

/** Cumulative products ᾱ_t = Π_{s≤t} (1 − β_s). */
export function alphasCumprod(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= 1 - betas[i];
    out[i] = product;
  }
  return out;
}

function checkCount(numTimesteps: number): void {
  if (!Number.isInteger(numTimesteps) || numTimesteps < 1) {
    throw new InvalidArgumentError('diffusion_steps', '>= 1 integer', `got ${numTimesteps}`);
  }
}
