import { InvalidArgumentError } from '../errors/invalid-argument';
import {
  checkPositiveInteger,
  checkStepIndex,
  range,
  type Schedule,
  type StepPlan,
} from './schedule';

/** A step of {@link MagnetSchedule}: one decoding iteration of one codebook (stage). */
export interface MagnetStepPlan extends StepPlan {
  /** The codebook q this step decodes (audiocraft's `stage`). */
  readonly stage: number;
  /** Iteration i within the stage, 0 … stageSteps − 1. */
  readonly stageStep: number;
  /** Iterations of this stage. */
  readonly stageSteps: number;
  /** MAGNeT's `mask_p = cos(π/2 · linspace(0, 1, n)[i])`: share of spans re-masked at this step. */
  readonly maskProbability: number;
  /** Spans masked (and re-predicted) at this step, `max(⌊mask_p · spans⌋, 1)`. */
  readonly maskedSpans: number;
  /** Spans of `spanLength` frames in the canvas row of a codebook. */
  readonly spans: number;
  /** `steps_left / n = (n − 1 − i)/n`: the linear temperature anneal of `anneal_temp`. */
  readonly temperatureRatio: number;
}

/** Options of {@link MagnetSchedule}. */
export interface MagnetScheduleOptions {
  /** Frames T per codebook, a multiple of `spanLength` (MAGNeT trims to one). */
  readonly frames: number;
  /** Frames per masking span (MAGNeT: 3). */
  readonly spanLength: number;
  /** Iterations per codebook, one entry per codebook (MAGNeT: [20, 10, 10, 10]). */
  readonly stepsPerCodebook: readonly number[];
}

/**
 * `mask_p` of MAGNeT's `_generate_stage` at iteration `i` of `n`: the cosine of π/2 times
 * `torch.linspace(0, 1, n)[i]` (= i/(n − 1); 0 when n = 1). Guidance anneals with it too.
 */
export function magnetMaskProbability(i: number, n: number): number {
  const t = n === 1 ? 0 : i / (n - 1);
  return Math.cos((t * Math.PI) / 2);
}

/**
 * MAGNeT's decoding order (audiocraft `lm_magnet.py`, `span_arrangement='nonoverlap'`): the
 * codebooks one after another, each over a fixed number of iterations; at iteration i the
 * `max(⌊mask_p · spans⌋, 1)` least confident spans of the codebook are masked and re-predicted,
 * so every iteration writes (possibly) any position of the stage's row and the row is final only
 * after its last iteration. Canvas position of (q, t) is q·T + t, the codec's [K, T] layout.
 * Which spans are masked depends on the model's confidences: the generator picks them.
 */
export class MagnetSchedule implements Schedule<MagnetStepPlan> {
  readonly name = 'magnet';
  readonly totalSteps: number;
  readonly totalTokens: number;
  readonly frames: number;
  readonly spanLength: number;
  readonly stepsPerCodebook: readonly number[];
  private readonly firstStepOfStage: number[];

  constructor(options: MagnetScheduleOptions) {
    const { frames, spanLength, stepsPerCodebook } = options;
    checkPositiveInteger('frames', frames);
    checkPositiveInteger('span_length', spanLength);
    if (frames % spanLength !== 0)
      throw new InvalidArgumentError(
        'frames',
        `a multiple of span_length ${spanLength}`,
        `got ${frames}`,
      );
    if (stepsPerCodebook.length < 1)
      throw new InvalidArgumentError('decoding_steps', 'one entry per codebook', 'got none');
    stepsPerCodebook.forEach((n) => checkPositiveInteger('decoding_steps', n));
    this.frames = frames;
    this.spanLength = spanLength;
    this.stepsPerCodebook = [...stepsPerCodebook];
    this.totalTokens = frames * stepsPerCodebook.length;
    this.firstStepOfStage = [];
    let total = 0;
    for (const n of stepsPerCodebook) {
      this.firstStepOfStage.push(total);
      total += n;
    }
    this.totalSteps = total;
  }

  stepAt(i: number): MagnetStepPlan {
    checkStepIndex(this, i);
    let stage = this.firstStepOfStage.length - 1;
    while (this.firstStepOfStage[stage] > i) stage--;
    const n = this.stepsPerCodebook[stage];
    const stageStep = i - this.firstStepOfStage[stage];
    const spans = this.frames / this.spanLength;
    const maskProbability = magnetMaskProbability(stageStep, n);
    const first = stage * this.frames;
    return {
      index: i,
      positions: range(first, first + this.frames),
      commits: stageStep === n - 1,
      attention: 'bidirectional',
      inputStart: 0,
      inputLength: this.totalTokens,
      stage,
      stageStep,
      stageSteps: n,
      maskProbability,
      // int() of a float32 product in audiocraft; the tiny epsilon keeps exact products (e.g.
      // cos(0)·spans) from flooring one below.
      maskedSpans: Math.max(Math.floor(maskProbability * spans + 1e-9), 1),
      spans,
      temperatureRatio: (n - 1 - stageStep) / n,
    };
  }
}
