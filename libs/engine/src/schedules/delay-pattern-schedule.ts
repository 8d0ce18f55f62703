import { InvalidArgumentError } from '../errors/invalid-argument';
import { checkPositiveInteger, checkStepIndex, type Schedule, type StepPlan } from './schedule';

/** A step of {@link DelayPatternSchedule}: one pattern step = one token per codebook. */
export interface DelayStepPlan extends StepPlan {
  /** Pattern step s written by this step (1 … S − 1; step 0 is the all-special start). */
  readonly patternStep: number;
  /**
   * For each codebook q, the timestep t = s − 1 − delay_q it samples at this step, or −1 where
   * the slot is empty and must be forced to the special token.
   */
  readonly timestepOfCodebook: Int32Array;
}

/** Options of {@link DelayPatternSchedule}. */
export interface DelayPatternOptions {
  /** Codebooks K (MusicGen: 4). */
  readonly numCodebooks: number;
  /** Frames T to generate (MusicGen: 50 per second). */
  readonly timesteps: number;
  /** Non-decreasing delay per codebook. Default [0, 1, …, K − 1]. */
  readonly delays?: readonly number[];
}

/**
 * The delayed codebook pattern of audiocraft's `DelayedPatternProvider` (no `flatten_first`,
 * no `empty_initial`): S = 1 + T + max(delay) pattern steps, step 0 empty, and pattern step s
 * holds (t = s − 1 − delay_q, q) for every codebook with t in [0, T). With delays 0 … K − 1 that
 * is T + K steps; generation fills steps 1 … S − 1, feeding step s − 1 to predict step s.
 * Canvas position of (q, t) is q·T + t, the [K, T] layout of the codec's codes.
 */
export class DelayPatternSchedule implements Schedule<DelayStepPlan> {
  readonly name = 'delay-pattern';
  readonly totalSteps: number;
  readonly totalTokens: number;
  readonly numCodebooks: number;
  readonly timesteps: number;
  readonly delays: readonly number[];
  /** S, the length of the pattern sequence including the empty first step. */
  readonly patternLength: number;

  constructor(options: DelayPatternOptions) {
    checkPositiveInteger('num_codebooks', options.numCodebooks);
    checkPositiveInteger('timesteps', options.timesteps);
    this.numCodebooks = options.numCodebooks;
    this.timesteps = options.timesteps;
    this.delays = checkDelays(options.delays ?? range(options.numCodebooks), options.numCodebooks);
    this.patternLength = 1 + options.timesteps + Math.max(...this.delays);
    this.totalSteps = this.patternLength - 1;
    this.totalTokens = options.numCodebooks * options.timesteps;
  }

  stepAt(i: number): DelayStepPlan {
    checkStepIndex(this, i);
    const s = i + 1;
    const timestepOfCodebook = new Int32Array(this.numCodebooks);
    const positions: number[] = [];
    this.delays.forEach((delay, q) => {
      const t = s - 1 - delay;
      const valid = t >= 0 && t < this.timesteps;
      timestepOfCodebook[q] = valid ? t : -1;
      if (valid) positions.push(q * this.timesteps + t);
    });
    return {
      index: i,
      positions: Int32Array.from(positions),
      commits: true,
      attention: 'causal',
      inputStart: s - 1,
      inputLength: 1,
      patternStep: s,
      timestepOfCodebook,
    };
  }

  /**
   * Lays codes [K, T] (row-major, codebook q at q·T) out as the pattern sequence [K, S] with
   * `specialToken` in empty slots (audiocraft `build_pattern_sequence`).
   */
  build(codes: Int32Array, specialToken: number): Int32Array {
    const { numCodebooks: k, timesteps: t, patternLength: s } = this;
    if (codes.length !== k * t) {
      throw new InvalidArgumentError('codes', `K·T = ${k * t} values`, `got ${codes.length}`);
    }
    const sequence = new Int32Array(k * s).fill(specialToken);
    for (let q = 0; q < k; q++) {
      for (let step = 0; step < t; step++) {
        sequence[q * s + step + 1 + this.delays[q]] = codes[q * t + step];
      }
    }
    return sequence;
  }

  /** Reads codes [K, T] back out of a pattern sequence [K, S] (audiocraft `revert_pattern_sequence`). */
  revert(sequence: Int32Array): Int32Array {
    const { numCodebooks: k, timesteps: t, patternLength: s } = this;
    if (sequence.length !== k * s) {
      throw new InvalidArgumentError('sequence', `K·S = ${k * s} values`, `got ${sequence.length}`);
    }
    const codes = new Int32Array(k * t);
    for (let q = 0; q < k; q++) {
      for (let step = 0; step < t; step++) {
        codes[q * t + step] = sequence[q * s + step + 1 + this.delays[q]];
      }
    }
    return codes;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function checkDelays(delays: readonly number[], numCodebooks: number): readonly number[] {
  if (delays.length !== numCodebooks) {
    throw new InvalidArgumentError(
      'delays',
      `one per codebook (${numCodebooks})`,
      `got ${delays.length}`,
    );
  }
  delays.forEach((delay, q) => {
    if (!Number.isInteger(delay) || delay < 0 || (q > 0 && delay < delays[q - 1])) {
      throw new InvalidArgumentError(
        'delays',
        'non-negative, non-decreasing integers',
        `got [${delays.join(', ')}]`,
      );
    }
  });
  return [...delays];
}
