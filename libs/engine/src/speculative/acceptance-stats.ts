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
