import type { Rng } from '../random/rng';
import { CategoricalSampler } from '../sampling/categorical-sampler';
import type { AcceptanceRule } from './acceptance-rule';

/** One verification round: γ drafted tokens checked against one target forward of γ + 1 rows. */
export interface VerifyDraftOptions {
  /** γ + 1 target distributions: row i conditions on the prefix plus the first i draft tokens. */
  readonly targetProbs: readonly Float32Array[];
  /** γ draft distributions the draft tokens were drawn from. */
  readonly draftProbs: readonly Float32Array[];
  /** The γ drafted token ids. */
  readonly draftTokens: ArrayLike<number>;
  /** Acceptance test, e.g. {@link StandardAcceptance} or {@link LanternAcceptance}. */
  readonly rule: AcceptanceRule;
  /** Source of the acceptance uniforms and of the final draw. */
  readonly rng: Rng;
}

/** Outcome of {@link verifyDraft}. */
export interface VerifyDraftResult {
  /** Number of draft tokens kept (0 … γ). */
  readonly accepted: number;
  /** The kept draft prefix followed by one corrected token (on rejection) or bonus token (all kept). */
  readonly tokens: number[];
}

const sampler = new CategoricalSampler();

/**
 * Speculative decoding's verification (Leviathan et al. 2023, Algorithm 1): walk the draft, keep
 * each token with the rule's acceptance probability, stop at the first rejection and replace that
 * token by a draw from the rule's residual; if every token is kept, draw a bonus token from the
 * last target row. Every round therefore emits between 1 and γ + 1 tokens.
 */
export function verifyDraft(options: VerifyDraftOptions): VerifyDraftResult {
  const { targetProbs, draftProbs, draftTokens, rule, rng } = options;
  const gamma = draftTokens.length;
  if (draftProbs.length !== gamma || targetProbs.length !== gamma + 1) {
    throw new RangeError(
      `need γ draft rows and γ + 1 target rows for γ = ${gamma} draft tokens, got ${draftProbs.length} and ${targetProbs.length}`,
    );
  }
  const tokens: number[] = [];
  for (let i = 0; i < gamma; i++) {
    const token = draftTokens[i];
    const target = targetProbs[i];
    const draft = draftProbs[i];
    if (rng.uniform() < rule.acceptanceProbability(target, draft, token)) {
      tokens.push(token);
      continue;
    }
    const residual = new Float32Array(target.length);
    rule.residual(target, draft, token, residual);
    tokens.push(sampler.sampleWeights(residual, rng));
    return { accepted: i, tokens };
  }
  tokens.push(sampler.sampleWeights(targetProbs[gamma], rng));
  return { accepted: gamma, tokens };
}
