import { InvalidArgumentError } from '../errors/invalid-argument';
import {
  checkPositiveInteger,
  checkStepIndex,
  range,
  type Schedule,
  type StepPlan,
} from './schedule';

/** VAR-d16…d30 scales: 680 tokens on a 16×16 map. */
export const VAR_PATCH_NUMS: readonly number[] = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16];

/** A step of {@link NextScaleSchedule}: one whole scale. */
export interface ScaleStepPlan extends StepPlan {
  /** Side length pn of the scale (pn^dims tokens: pn² for an image, pn³ for an octree level). */
  readonly patchNum: number;
  /** First token of the scale in the flattened multi-scale sequence. */
  readonly begin: number;
  /** One past the last token of the scale. */
  readonly end: number;
  /**
   * si/(n − 1), 0 at the first scale and 1 at the last: drives VAR's guidance ramp
   * t = cfg·ratio and the choice of φ.
   */
  readonly ratio: number;
  /** Which of the K shared φ convs refines this scale's residual ({@link phiIndex}). */
  readonly phiIndex: number;
}

/** Options of {@link NextScaleSchedule}. */
export interface NextScaleScheduleOptions {
  /** Side lengths of the scales, ascending. Default {@link VAR_PATCH_NUMS}. */
  readonly patchNums?: readonly number[];
  /** Number of partially shared φ convs K. VAR: 4. */
  readonly phiCount?: number;
  /**
   * Dimensions of a scale's token map: 2 (VAR's pn × pn images, the default) or 3 (octree
   * levels of a shape, pn × pn × pn nodes).
   */
  readonly dims?: 2 | 3;
}

/**
 * The φ ticks of VAR `quant.py` PhiPartiallyShared: `linspace(1/(3K), 1 − 1/(3K), K)` when K = 4
 * (the released models) and `linspace(1/(2K), 1 − 1/(2K), K)` otherwise.
 */
export function phiTicks(phiCount: number): Float64Array {
  checkPositiveInteger('phi_count', phiCount);
  const start = phiCount === 4 ? 1 / 3 / phiCount : 1 / 2 / phiCount;
  const stop = 1 - start;
  const ticks = new Float64Array(phiCount);
  // numpy.linspace's own arithmetic (k·step + start, last = stop): ratios 2/9 and 7/9 of the
  // 10-scale model sit exactly between two ticks, and only the same rounding picks the same φ.
  const step = phiCount === 1 ? 0 : (stop - start) / (phiCount - 1);
  for (let k = 0; k < phiCount; k++) ticks[k] = k * step + start;
  if (phiCount > 1) ticks[phiCount - 1] = stop;
  return ticks;
}

/** Index of the tick nearest to `ratio` (first one on a tie, as `np.argmin`). */
export function phiIndex(ratio: number, phiCount: number): number {
  const ticks = phiTicks(phiCount);
  let best = 0;
  for (let k = 1; k < ticks.length; k++) {
    if (Math.abs(ticks[k] - ratio) < Math.abs(ticks[best] - ratio)) best = k;
  }
  return best;
}

/**
 * VAR's next-scale order (`autoregressive_infer_cfg`): step si feeds the pn² entries of scale si
 * (the class/start token at si = 0, afterwards the area-downsampled f̂) and samples all pn²
 * tokens of the scale in parallel; the new entries see each other and every earlier scale.
 */
export class NextScaleSchedule implements Schedule<ScaleStepPlan> {
  readonly name = 'next-scale';
  readonly totalSteps: number;
  readonly totalTokens: number;
  readonly patchNums: readonly number[];
  readonly phiCount: number;
  readonly dims: 2 | 3;
  /** [begin, end) of every scale, as VAR's `begin_ends`. */
  readonly beginEnds: ReadonlyArray<readonly [number, number]>;

  constructor(options: NextScaleScheduleOptions = {}) {
    this.patchNums = [...(options.patchNums ?? VAR_PATCH_NUMS)];
    this.phiCount = options.phiCount ?? 4;
    this.dims = options.dims ?? 2;
    checkPositiveInteger('phi_count', this.phiCount);
    if (this.patchNums.length === 0) {
      throw new InvalidArgumentError('patch_nums', 'at least one scale', 'empty');
    }
    const beginEnds: Array<readonly [number, number]> = [];
    let cursor = 0;
    this.patchNums.forEach((pn, i) => {
      checkPositiveInteger(`patch_nums[${i}]`, pn);
      if (i > 0 && pn <= this.patchNums[i - 1]) {
        throw new InvalidArgumentError(
          'patch_nums',
          'strictly increasing',
          `${pn} after ${this.patchNums[i - 1]}`,
        );
      }
      beginEnds.push([cursor, cursor + pn ** this.dims]);
      cursor += pn ** this.dims;
    });
    this.beginEnds = beginEnds;
    this.totalSteps = this.patchNums.length;
    this.totalTokens = cursor;
  }

  stepAt(i: number): ScaleStepPlan {
    checkStepIndex(this, i);
    const [begin, end] = this.beginEnds[i];
    const ratio = this.totalSteps === 1 ? 0 : i / (this.totalSteps - 1);
    return {
      index: i,
      positions: range(begin, end),
      commits: true,
      attention: 'bidirectional-in-block',
      inputStart: begin,
      inputLength: end - begin,
      patchNum: this.patchNums[i],
      begin,
      end,
      ratio,
      phiIndex: phiIndex(ratio, this.phiCount),
    };
  }
}
