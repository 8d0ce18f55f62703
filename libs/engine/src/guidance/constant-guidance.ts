import { checkStep, type GuidanceSchedule } from './guidance-schedule';

/** The same scale at every step (LlamaGen, MAR `cfg_schedule="constant"`). */
export class ConstantGuidance implements GuidanceSchedule {
  /** @param scale guidance scale, e.g. LlamaGen's c2i default 4.0 */
  constructor(readonly scale: number) {
    if (!Number.isFinite(scale)) throw new RangeError(`scale must be finite, got ${scale}`);
  }

  scaleAt(step: number, totalSteps: number): number {
    checkStep(step, totalSteps);
    return this.scale;
  }
}
