import { checkStep, type GuidanceSchedule } from './guidance-schedule';

/** An explicit scale per step, for schedules no formula here covers. */
export class PerStepGuidance implements GuidanceSchedule {
  private readonly scales: Float64Array;

  /** @param scales the scale of step 0, 1, …; a generation may not run longer than the list */
  constructor(scales: ArrayLike<number>) {
    if (scales.length === 0) throw new RangeError('scales must not be empty');
    this.scales = Float64Array.from(scales);
    for (const s of this.scales) {
      if (!Number.isFinite(s)) throw new RangeError(`scales must be finite, got ${s}`);
    }
  }

  /**
   * NBP's `hybrid_sample_with_past_cfg`: `t = cfg_ratio · n` at step `n` when `scale_cfg` is set
   * (else `t = cfg_ratio`), blended as `(1 + t)·cond − t·uncond`, i.e. scale `1 + t`.
   * @param cfgRatio NBP's `cfg_ratio` (default 1.5 there)
   * @param steps number of steps to tabulate
   * @param scaleCfg grow with the step (`scale_cfg=True`) or stay at `1 + cfgRatio`
   */
  static nbp(cfgRatio: number, steps: number, scaleCfg = true): PerStepGuidance {
    return new PerStepGuidance(
      Array.from({ length: steps }, (_, n) => 1 + cfgRatio * (scaleCfg ? n : 1)),
    );
  }

  scaleAt(step: number, totalSteps: number): number {
    checkStep(step, totalSteps);
    if (step >= this.scales.length) {
      throw new RangeError(
        `no guidance scale for step ${step}: the schedule lists ${this.scales.length}`,
      );
    }
    return this.scales[step];
  }
}
