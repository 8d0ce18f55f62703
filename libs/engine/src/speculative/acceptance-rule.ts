/**
 * The verification step of speculative decoding for one drafted position: how likely the draft
 * token is kept, and what to sample from instead when it is not. Rows are probabilities over the
 * vocabulary after the same logits processors (temperature, top-k, …) on both models.
 */
export interface AcceptanceRule {
  /**
   * Probability in [0, 1] of keeping draft token `token`.
   * @param target target-model probabilities p at this position
   * @param draft draft-model probabilities q the token was drawn from
   */
  acceptanceProbability(target: Float32Array, draft: Float32Array, token: number): number;

  /**
   * Writes the unnormalised distribution to sample the replacement from after a rejection.
   * @param out receives one weight per vocabulary entry (may be reused across calls)
   */
  residual(target: Float32Array, draft: Float32Array, token: number, out: Float32Array): void;
}

/**
 * `max(p − q, 0)`, the residual of Leviathan et al. / Chen et al. that makes accepted-or-resampled
 * tokens exactly target-distributed. Where it is all zero (p = q up to rounding) it falls back to p.
 */
export function writeResidual(target: Float32Array, draft: Float32Array, out: Float32Array): void {
  let total = 0;
  for (let i = 0; i < target.length; i++) {
    const d = target[i] - draft[i];
    out[i] = d > 0 ? d : 0;
    total += out[i];
  }
  if (!(total > 0)) out.set(target);
}
