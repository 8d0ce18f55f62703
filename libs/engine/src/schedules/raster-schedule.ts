import {
  checkPositiveInteger,
  checkStepIndex,
  range,
  type Schedule,
  type StepPlan,
} from './schedule';

/** Options of {@link RasterSchedule}. */
export interface RasterScheduleOptions {
  /** Tokens to generate. */
  readonly length: number;
  /** Condition entries prefilled at step 0 (LlamaGen c2i: 1 class token). Default 1. */
  readonly prefixLength?: number;
}

/**
 * Next-token order (LlamaGen, MusicGen steps, mesh tokens): step 0 prefills the prefix and
 * samples token 0 from its last position; step i feeds token i − 1 and samples token i.
 */
export class RasterSchedule implements Schedule {
  readonly name = 'raster';
  readonly totalSteps: number;
  readonly totalTokens: number;
  readonly prefixLength: number;

  constructor(options: RasterScheduleOptions) {
    checkPositiveInteger('length', options.length);
    this.prefixLength = options.prefixLength ?? 1;
    checkPositiveInteger('prefix_length', this.prefixLength);
    this.totalSteps = options.length;
    this.totalTokens = options.length;
  }

  stepAt(i: number): StepPlan {
    checkStepIndex(this, i);
    return {
      index: i,
      positions: range(i, i + 1),
      commits: true,
      attention: 'causal',
      inputStart: i === 0 ? 0 : this.prefixLength + i - 1,
      inputLength: i === 0 ? this.prefixLength : 1,
    };
  }
}
