import { mersenneFromState } from 'pure-rand/generator/mersenne';
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

/**
 * Largest seed accepted: seeds travel as protobuf uint64 but are decoded as JS numbers
 * (proto-loader `longs: Number`), which hold integers exactly only up to 2^53 − 1; services
 * refuse larger seeds with INVALID_ARGUMENT instead of rounding them onto another seed.
 */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/**
 * Mersenne Twister (pure-rand) behind the {@link Rng} interface. Every seed in [0, MAX_SEED]
 * gets its own stream: see {@link mersenneState} for why no two seeds share one.
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  }
  const generator = mersenneFromState([
    0,
    ...mersenneState(seed >>> 0, Math.floor(seed / 2 ** 32)),
  ]);
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

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER = 0x80000000;
const LOWER = 0x7fffffff;
const INIT_MULTIPLIER = 1812433253;

/**
 * The twisted MT19937 state of the 64-bit seed `hi·2^32 + lo` (words as signed int32, as
 * pure-rand keeps them). It is MT's `init_genrand(lo)` with `hi` xor-ed into word 2 before the
 * rest of the words are derived from it, so seeds below 2^32 keep the exact stream pure-rand's
 * `mersenne(seed)` gives them. No two seeds share a stream: word 1 is a bijection of `lo` and
 * word 2 then fixes `hi`; MT ignores only the low 31 bits of word 0, and its twist is a
 * bijection of the remaining state, so different seeds differ within the first 624 outputs.
 * (Folding the high word into a 32-bit seed, as before, made 261 and 2^40 + 5 collide.)
 */
function mersenneState(lo: number, hi: number): number[] {
  const mt = new Array<number>(N);
  mt[0] = lo | 0;
  for (let i = 1; i < N; i++) {
    const previous = mt[i - 1] ^ (mt[i - 1] >>> 30);
    mt[i] = (Math.imul(INIT_MULTIPLIER, previous) + i) | 0;
    if (i === 2) mt[i] ^= hi;
  }
  for (let i = 0; i < N; i++) {
    const y = (mt[i] & UPPER) | (mt[(i + 1) % N] & LOWER);
    mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
  }
  return mt;
}
