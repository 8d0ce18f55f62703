import { checkStep, type GuidanceSchedule } from './guidance-schedule';

/**
 * MAR's linear schedule (`models/mar.py sample_tokens`, `cfg_schedule="linear"`, after Muse):
 * `1 + (cfg − 1)·(L − mask_len)/L`, where `mask_len` is how many of the `L` tokens stay masked
 * after this iteration under the cosine mask schedule. Guidance grows as the image fills in.
 */
export class MarRampGuidance implements GuidanceSchedule {
  /**
   * @param cfg final guidance scale (MAR's `cfg`, e.g. 2.9 for MAR-H)
   * @param seqLen number of tokens `L` (256 for a 16×16 latent)
   */
  constructor(
    readonly cfg: number,
    readonly seqLen: number,
  ) {
    if (!Number.isFinite(cfg)) throw new RangeError(`cfg must be finite, got ${cfg}`);
    if (!Number.isInteger(seqLen) || seqLen < 1)
      throw new RangeError(`seqLen must be an integer >= 1, got ${seqLen}`);
  }

  scaleAt(step: number, totalSteps: number): number {
    checkStep(step, totalSteps);
    const maskLen = marMaskLength(step, totalSteps, this.seqLen);
    return 1 + ((this.cfg - 1) * (this.seqLen - maskLen)) / this.seqLen;
  }
}

/**
 * Tokens still masked after iteration `step` of MAR's cosine schedule:
 * `max(1, min(masked_before − 1, floor(L·cos(π/2·(step + 1)/numIter))))`, starting from all `L`
 * masked. The clamp makes every iteration unmask at least one token and leaves one for the last.
 */
export function marMaskLength(step: number, numIter: number, seqLen: number): number {
  let masked = seqLen;
  for (let s = 0; s <= step; s++) {
    const target = Math.floor(seqLen * Math.cos((Math.PI / 2) * ((s + 1) / numIter)));
    masked = Math.max(1, Math.min(masked - 1, target));
  }
  return masked;
}
