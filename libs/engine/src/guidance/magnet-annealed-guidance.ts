import { magnetMaskProbability } from '../schedules/magnet-schedule';
import { checkStep, type GuidanceSchedule } from './guidance-schedule';

/**
 * MAGNeT's annealed guidance (`lm_magnet.py _generate_stage`): at iteration i of a stage's n,
 * `mask_p·max_cfg + (1 − mask_p)·min_cfg` with the stage's cosine `mask_p`. Strong guidance
 * while most of the row is masked, relaxing to `min_cfg` as it fills in; each stage restarts.
 */
export class MagnetAnnealedGuidance implements GuidanceSchedule {
  constructor(
    readonly maxCfg: number,
    readonly minCfg: number,
  ) {
    if (!Number.isFinite(maxCfg) || !Number.isFinite(minCfg))
      throw new RangeError(`cfg coefficients must be finite, got ${maxCfg}, ${minCfg}`);
  }

  /** @param step iteration within the stage; @param totalSteps the stage's iterations */
  scaleAt(step: number, totalSteps: number): number {
    checkStep(step, totalSteps);
    const maskP = magnetMaskProbability(step, totalSteps);
    return maskP * this.maxCfg + (1 - maskP) * this.minCfg;
  }
}
