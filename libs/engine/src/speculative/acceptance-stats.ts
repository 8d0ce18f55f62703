import type { AcceptanceRule } from './acceptance-rule';
import type { VerifyDraftResult } from './verify-draft';

/** Running acceptance statistics of a speculative decoder (per request or per service). */
export class AcceptanceStats {
  /** Verification rounds recorded. */
  rounds = 0;
  /** Draft tokens proposed. */
  drafted = 0;
  /** Draft tokens kept. */
  accepted = 0;
  /** Tokens emitted (kept drafts plus one corrected or bonus token per round). */
  emitted = 0;

  /**
   * Adds one round.
   * @param gamma number of tokens drafted in that round
   */
  record(result: VerifyDraftResult, gamma: number): void {
    this.rounds++;
    this.drafted += gamma;
    this.accepted += result.accepted;
    this.emitted += result.tokens.length;
  }

  /** Fraction of drafted tokens kept (0 before any round). */
  get acceptanceRate(): number {
    return this.drafted === 0 ? 0 : this.accepted / this.drafted;
  }

  /** Mean tokens emitted per target forward: the speed-up ceiling when drafting is free. */
  get tokensPerRound(): number {
    return this.rounds === 0 ? 0 : this.emitted / this.rounds;
  }

  /** Clears all counters. */
  reset(): void {
    this.rounds = this.drafted = this.accepted = this.emitted = 0;
  }
}

/**
 * Probability that one draft token x ~ q is kept: `α = Σₓ q(x)·a(x)`. For
 * {@link StandardAcceptance} this is `Σ min(p, q) = 1 − TV(p, q)` (Leviathan et al., §3.3).
 */
export function expectedAcceptanceRate(
  target: Float32Array,
  draft: Float32Array,
  rule: AcceptanceRule,
): number {
  let alpha = 0;
  for (let x = 0; x < draft.length; x++) {
    if (draft[x] > 0) alpha += draft[x] * rule.acceptanceProbability(target, draft, x);
  }
  return alpha;
}

/**
 * Expected tokens per round for i.i.d. acceptance rate α and γ drafts:
 * `(1 − α^{γ+1}) / (1 − α)` (Leviathan et al., eq. 1), `γ + 1` when α = 1.
 */
export function expectedTokensPerRound(alpha: number, gamma: number): number {
  if (alpha >= 1) return gamma + 1;
  return (1 - alpha ** (gamma + 1)) / (1 - alpha);
}
