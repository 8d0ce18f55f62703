/**
 * How strong classifier-free guidance is at each step of a generation. The returned value is the
 * `scale` of {@link applyCfg}: 1 means conditional only, larger pushes away from unconditional.
 */
export interface GuidanceSchedule {
  /**
   * @param step zero-based step (VAR scale index, MAR iteration, NBP block, token position)
   * @param totalSteps number of steps in this generation
   */
  scaleAt(step: number, totalSteps: number): number;
}

/** Throws unless `0 <= step < totalSteps` are integers. */
export function checkStep(step: number, totalSteps: number): void {
  if (!Number.isInteger(totalSteps) || totalSteps < 1) {
    throw new RangeError(`totalSteps must be an integer >= 1, got ${totalSteps}`);
  }
  if (!Number.isInteger(step) || step < 0 || step >= totalSteps) {
    throw new RangeError(`step must be an integer in [0, ${totalSteps - 1}], got ${step}`);
  }
}
