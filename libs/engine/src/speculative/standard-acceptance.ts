import { writeResidual, type AcceptanceRule } from './acceptance-rule';

/**
 * Exact speculative sampling (Leviathan et al. 2023, Chen et al. 2023): keep x with probability
 * `min(1, p(x)/q(x))`, else resample from `norm(max(p − q, 0))`. Output is distributed exactly as
 * the target model.
 */
export class StandardAcceptance implements AcceptanceRule {
  acceptanceProbability(target: Float32Array, draft: Float32Array, token: number): number {
    return ratio(target[token], draft[token]);
  }

  residual(target: Float32Array, draft: Float32Array, _token: number, out: Float32Array): void {
    writeResidual(target, draft, out);
  }
}

/**
 * `min(1, p/q)`. A token the draft could not have drawn (q = 0) is kept when the target allows it,
 * so a rounding-level q never blocks a token the target wants.
 */
export function ratio(p: number, q: number): number {
  if (q <= 0) return p > 0 ? 1 : 0;
  return p >= q ? 1 : p / q;
}
