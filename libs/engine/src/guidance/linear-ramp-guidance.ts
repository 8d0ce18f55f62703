import { checkStep, type GuidanceSchedule } from './guidance-schedule';

/**
 * VAR's ramp (`autoregressive_infer_cfg`): at scale index `si` of `n`, `t = cfg · si / (n − 1)` and
 * the logits are `(1 + t)·cond − t·uncond`, i.e. scale `1 + t`. The first scale is unguided and the
 * last gets `1 + cfg`, so VAR's `cfg = 1.5` ends at scale 2.5. With a single step VAR would divide
 * by zero; here that step gets the full `1 + cfg`.
 */
export class LinearRampGuidance implements GuidanceSchedule {
  /** @param cfg VAR's `cfg` argument (the final `t`, not the final scale) */
  constructor(readonly cfg: number) {
    if (!Number.isFinite(cfg)) throw new RangeError(`cfg must be finite, got ${cfg}`);
  }

  scaleAt(step: number, totalSteps: number): number {
    checkStep(step, totalSteps);
    const ratio = totalSteps === 1 ? 1 : step / (totalSteps - 1);
    return 1 + this.cfg * ratio;
  }
}
