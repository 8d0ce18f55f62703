import { InvalidArgumentError } from '../errors/invalid-argument';

/**
 * The training timesteps kept when a T-step diffusion is sampled with `count` steps, ascending,
 * as ADM/MAR `respace.space_timesteps(T, str(count))` with one section: indices
 * round(i·(T − 1)/(count − 1)), the stride accumulated in float64 and rounded half to even
 * like Python's `round`, so respaced models see exactly the timesteps they were sampled with
 * upstream.
 */
export function spaceTimesteps(numTimesteps: number, count: number): Int32Array {
  if (!Number.isInteger(count) || count < 1 || count > numTimesteps) {
    throw new InvalidArgumentError('num_sampling_steps', `1 ..= ${numTimesteps}`, `got ${count}`);
  }
  const stride = count <= 1 ? 1 : (numTimesteps - 1) / (count - 1);
  const taken = new Set<number>();
  let position = 0;
  for (let i = 0; i < count; i++) {
    taken.add(roundHalfEven(position));
    position += stride;
  }
  return Int32Array.from([...taken].sort((a, b) => a - b));
}

/** Python 3 `round(x)`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The quantities of a respaced diffusion, indexed by the respaced step k (ascending time):
 * ᾱ_k = ᾱ[timestep_k] of the original schedule and β_k = 1 − ᾱ_k/ᾱ_{k−1}, as
 * `SpacedDiffusion` rebuilds its betas.
 */
export interface RespacedTables {
  /** Original training timestep of each respaced step, ascending. */
  readonly timestepMap: Int32Array;
  /** β_k of the respaced chain. */
  readonly betas: Float64Array;
  /** ᾱ_k. */
  readonly alphasCumprod: Float64Array;
  /** ᾱ_{k−1}, with 1 before the first step. */
  readonly alphasCumprodPrev: Float64Array;
}

/** Builds {@link RespacedTables} from the original ᾱ and the kept timesteps. */
export function respace(
  originalAlphasCumprod: Float64Array,
  timestepMap: Int32Array,
): RespacedTables {
  const n = timestepMap.length;
  const betas = new Float64Array(n);
  const cumprod = new Float64Array(n);
  const prev = new Float64Array(n);
  let last = 1;
  for (let k = 0; k < n; k++) {
    const alphaBar = originalAlphasCumprod[timestepMap[k]];
    betas[k] = 1 - alphaBar / last;
    prev[k] = last;
    cumprod[k] = alphaBar;
    last = alphaBar;
  }
  return { timestepMap, betas, alphasCumprod: cumprod, alphasCumprodPrev: prev };
}
