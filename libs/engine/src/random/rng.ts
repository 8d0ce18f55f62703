import { mersenne } from 'pure-rand/generator/mersenne';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

/** A seeded source of randomness: the same seed always yields the same sequence. */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** Largest seed accepted: seeds travel as protobuf uint64 but are handled as JS numbers. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/**
 * Mersenne Twister (pure-rand) behind the {@link Rng} interface. Seeds up to 2^53 are folded
 * into the generator's 32-bit state so that every safe integer gives its own stream.
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  }
  const generator = mersenne((seed ^ Math.floor(seed / 2 ** 32)) | 0);
  let spareNormal: number | undefined;
  const uniform = () => uniformFloat64(generator);
  return {
    uniform,
    normal() {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      // Box–Muller; 1 - u keeps the logarithm finite.
      const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
      const angle = 2 * Math.PI * uniform();
      spareNormal = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
    int(n: number) {
      return Math.min(n - 1, Math.floor(uniform() * n));
    },
  };
}

/** A fresh seed for requests that did not pass one (reported back so the call can be replayed). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}
