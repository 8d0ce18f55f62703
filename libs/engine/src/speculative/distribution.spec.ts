import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../random/rng';
import { CategoricalSampler } from '../sampling/categorical-sampler';
import { softmax } from '../sampling/softmax';
import { chiSquareTest } from '../sampling/testing/chi-square';
import type { AcceptanceRule } from './acceptance-rule';
import { AcceptanceStats } from './acceptance-stats';
import { LanternAcceptance } from './lantern-acceptance';
import type { NeighbourTable } from './neighbour-table';
import { buildNeighbourTable, expectedAcceptanceRate } from './testing';
import { StandardAcceptance } from './standard-acceptance';
import { verifyDraft } from './verify-draft';

const VOCAB = 6;
const LENGTH = 3;
const GAMMA = 3;
const SEQUENCES = 100_000;
const ALPHA = 0.001;
const sampler = new CategoricalSampler();

/** A bigram model: row `prev` is the next-token distribution after token `prev`. */
type Bigram = Float32Array[];

/** Target and a different draft chain: the draft sees the target's logits through noise. */
function chains(): { target: Bigram; draft: Bigram } {
  const rng = createRng(31337);
  const target: Bigram = [];
  const draft: Bigram = [];
  for (let prev = 0; prev < VOCAB; prev++) {
    const logits = Float32Array.from({ length: VOCAB }, () => 0.6 * rng.normal());
    target.push(softmax(logits));
    draft.push(softmax(logits.map((l) => l + 0.8 * rng.normal())));
  }
  return { target, draft };
}

/** Exact probability of every length-3 continuation of token 0 (index = x1·36 + x2·6 + x3). */
function sequenceProbabilities(chain: Bigram): Float64Array {
  const out = new Float64Array(VOCAB ** LENGTH);
  for (let a = 0; a < VOCAB; a++)
    for (let b = 0; b < VOCAB; b++)
      for (let c = 0; c < VOCAB; c++)
        out[(a * VOCAB + b) * VOCAB + c] = chain[0][a] * chain[a][b] * chain[b][c];
  return out;
}

/** Generates `LENGTH` tokens after token 0 by speculative decoding with γ = `GAMMA`. */
function speculate(
  target: Bigram,
  draft: Bigram,
  rule: AcceptanceRule,
  rng: Rng,
  stats: AcceptanceStats,
): number[] {
  const sequence: number[] = [];
  let last = 0;
  while (sequence.length < LENGTH) {
    const draftTokens: number[] = [];
    const draftProbs: Float32Array[] = [];
    const targetProbs: Float32Array[] = [];
    let context = last;
    for (let i = 0; i < GAMMA; i++) {
      const token = sampler.sampleWeights(draft[context], rng);
      draftTokens.push(token);
      draftProbs.push(draft[context]);
      targetProbs.push(target[context]);
      context = token;
    }
    targetProbs.push(target[context]);
    const result = verifyDraft({ targetProbs, draftProbs, draftTokens, rule, rng });
    stats.record(result, GAMMA);
    sequence.push(...result.tokens);
    last = sequence[sequence.length - 1];
  }
  return sequence.slice(0, LENGTH);
}

function histogram(target: Bigram, draft: Bigram, rule: AcceptanceRule, seed: number) {
  const rng = createRng(seed);
  const stats = new AcceptanceStats();
  const counts = new Float64Array(VOCAB ** LENGTH);
  const firstTokens: number[] = [];
  for (let n = 0; n < SEQUENCES; n++) {
    const [a, b, c] = speculate(target, draft, rule, rng, stats);
    counts[(a * VOCAB + b) * VOCAB + c]++;
    if (n < 200) firstTokens.push(a, b, c);
  }
  return { counts, stats, firstTokens };
}

/** 2-D latent positions of the 6 codes: three tight pairs far apart, so neighbours are unambiguous. */
function pairedNeighbours(): NeighbourTable {
  const latents = Float32Array.from([0, 0, 0.1, 0, 5, 0, 5, 0.2, 0, 5, 0.3, 5]);
  return buildNeighbourTable(latents, 2, VOCAB - 1);
}

describe('speculative decoding reproduces the target distribution (bigram chains over 6 tokens, γ = 3)', () => {
  const { target, draft } = chains();
  const exact = sequenceProbabilities(target);
  const draftExact = sequenceProbabilities(draft);

  it('standard acceptance: χ² of 100k 3-token sequences against the exact target law', () => {
    const minExpected = Math.min(...exact) * SEQUENCES;
    expect(minExpected).toBeGreaterThan(5);
    const { counts, stats } = histogram(target, draft, new StandardAcceptance(), 1);
    const fit = chiSquareTest(counts, exact);
    console.info(
      `standard: χ² = ${fit.statistic.toFixed(1)}, df = ${fit.df}, p = ${fit.pValue.toFixed(4)}; ` +
        `acceptance ${stats.acceptanceRate.toFixed(4)}, tokens/round ${stats.tokensPerRound.toFixed(3)}`,
    );
    expect(fit.pValue).toBeGreaterThan(ALPHA);

    // Power: the draft chain's law differs by little per cell, yet the same test rejects it.
    const wrong = chiSquareTest(counts, draftExact);
    console.info(
      `standard vs draft law: χ² = ${wrong.statistic.toFixed(1)}, p = ${wrong.pValue.toExponential(2)}`,
    );
    expect(wrong.pValue).toBeLessThan(ALPHA);
    // The draft is imperfect, so some drafts are rejected and some rounds still save forwards.
    expect(stats.acceptanceRate).toBeGreaterThan(0.3);
    expect(stats.acceptanceRate).toBeLessThan(0.95);
  });

  it('a verifier that keeps every draft token is caught by the same test', () => {
    const keepAll: AcceptanceRule = {
      acceptanceProbability: () => 1,
      residual: (p, _q, _x, out) => out.set(p),
    };
    const { counts } = histogram(target, draft, keepAll, 2);
    const fit = chiSquareTest(counts, exact);
    console.info(
      `keep-all verifier vs target: χ² = ${fit.statistic.toFixed(1)}, p = ${fit.pValue.toExponential(2)}`,
    );
    expect(fit.pValue).toBeLessThan(ALPHA);
    expect(chiSquareTest(counts, draftExact).pValue).toBeGreaterThan(ALPHA);
  });

  it('LANTERN with δ = 0 makes exactly the decisions of standard acceptance', () => {
    const lantern = new LanternAcceptance({
      neighbours: pairedNeighbours(),
      k: VOCAB - 1,
      delta: 0,
    });
    const a = histogram(target, draft, new StandardAcceptance(), 7);
    const b = histogram(target, draft, lantern, 7);
    expect(b.firstTokens).toEqual(a.firstTokens);
    expect([...b.counts]).toEqual([...a.counts]);
    expect(b.stats.accepted).toBe(a.stats.accepted);
  });

  it('LANTERN with δ > 0 accepts more often along the whole chain', () => {
    const neighbours = pairedNeighbours();
    const standard = histogram(target, draft, new StandardAcceptance(), 8).stats;
    const rates = [0.2, 0.4].map((delta) => {
      const stats = histogram(
        target,
        draft,
        new LanternAcceptance({ neighbours, k: 1, delta }),
        8,
      ).stats;
      return {
        delta,
        rate: stats.acceptanceRate,
        tokensPerRound: stats.tokensPerRound,
        drafted: stats.drafted,
      };
    });
    console.info(
      `acceptance: standard ${standard.acceptanceRate.toFixed(4)} (${standard.tokensPerRound.toFixed(3)} tokens/round); ` +
        rates
          .map((r) => `δ=${r.delta}: ${r.rate.toFixed(4)} (${r.tokensPerRound.toFixed(3)})`)
          .join('; '),
    );
    let previous = standard.acceptanceRate;
    for (const { rate, drafted } of rates) {
      // Binomial standard error of the difference; rounds are not independent draws, so ask for 6σ.
      const se = Math.sqrt(
        (rate * (1 - rate)) / drafted + (previous * (1 - previous)) / standard.drafted,
      );
      expect(rate - previous).toBeGreaterThan(6 * se);
      previous = rate;
    }
  });
});

describe('LANTERN at one position: exact output law, higher acceptance, drift only towards neighbours', () => {
  // Target and draft over 6 codes in three latent pairs {0,1}, {2,3}, {4,5}; the draft prefers the
  // other member of each pair, which LANTERN treats as interchangeable.
  const p = Float32Array.from([0.3, 0.1, 0.05, 0.25, 0.2, 0.1]);
  const q = Float32Array.from([0.1, 0.3, 0.25, 0.05, 0.15, 0.15]);
  const delta = 0.25;
  const rule = new LanternAcceptance({ neighbours: pairedNeighbours(), k: 2, delta });
  const DRAWS = 200_000;

  /** p̃ from the definition, by brute force over m. */
  function relaxed(x: number): number {
    const row = pairedNeighbours().indices.subarray(x * (VOCAB - 1), x * (VOCAB - 1) + 2);
    let best = 0;
    let sum = 0;
    for (let m = 1; m <= 2; m++) {
      sum += p[row[m - 1]];
      if (sum <= delta) best = sum;
    }
    return p[x] + best;
  }

  /** Output law: q(x)·min(1, p̃/q) + P(reject)·norm(max(p − q, 0)). */
  function exactOutput(): Float64Array {
    const kept = Float64Array.from(q, (qx, x) => Math.min(qx, relaxed(x)));
    const reject = 1 - kept.reduce((s, v) => s + v, 0);
    const residual = Float64Array.from(p, (px, x) => Math.max(px - q[x], 0));
    const mass = residual.reduce((s, v) => s + v, 0);
    return kept.map((k, x) => k + (reject * residual[x]) / mass);
  }

  it('matches the exact LANTERN law (χ²) and accepts more than standard', () => {
    const rng = createRng(99);
    const counts = new Float64Array(VOCAB);
    let accepted = 0;
    for (let n = 0; n < DRAWS; n++) {
      const x = sampler.sampleWeights(q, rng);
      const result = verifyDraft({
        targetProbs: [p, p],
        draftProbs: [q],
        draftTokens: [x],
        rule,
        rng,
      });
      counts[result.tokens[0]]++;
      accepted += result.accepted;
    }
    const law = exactOutput();
    const fit = chiSquareTest(counts, law);
    const target = chiSquareTest(counts, p);
    const rate = accepted / DRAWS;
    const alphaLantern = expectedAcceptanceRate(p, q, rule);
    const alphaStandard = expectedAcceptanceRate(p, q, new StandardAcceptance());
    const tv = law.reduce((s, o, x) => s + Math.abs(o - p[x]), 0) / 2;
    console.info(
      `LANTERN δ=${delta}: χ² vs exact law = ${fit.statistic.toFixed(2)} (p = ${fit.pValue.toFixed(4)}), ` +
        `vs target = ${target.statistic.toFixed(0)}; acceptance ${rate.toFixed(4)} (exact ${alphaLantern.toFixed(4)}, ` +
        `standard ${alphaStandard.toFixed(4)}); TV(output, target) = ${tv.toFixed(4)}`,
    );
    expect(fit.pValue).toBeGreaterThan(ALPHA);
    expect(target.pValue).toBeLessThan(ALPHA);
    expect(alphaLantern).toBeCloseTo(
      q.reduce((s, qx, x) => s + Math.min(qx, relaxed(x)), 0),
      6,
    );
    expect(Math.abs(rate - alphaLantern)).toBeLessThan(
      4 * Math.sqrt((alphaLantern * (1 - alphaLantern)) / DRAWS),
    );
    expect(alphaLantern - alphaStandard).toBeGreaterThan(0.1);
  });

  it('moves mass only to tokens that borrowed from neighbours, each by at most their borrowing (≤ δ)', () => {
    const law = exactOutput();
    let gained = 0;
    for (let x = 0; x < VOCAB; x++) {
      const borrowed = relaxed(x) - p[x];
      if (law[x] > p[x] + 1e-9) {
        gained++;
        expect(borrowed).toBeGreaterThan(0);
        expect(law[x] - p[x]).toBeLessThanOrEqual(borrowed + 1e-9);
        expect(borrowed).toBeLessThanOrEqual(delta + 1e-9);
      }
      if (borrowed === 0) expect(law[x]).toBeLessThanOrEqual(p[x] + 1e-9);
    }
    expect(gained).toBeGreaterThan(0);
  });
});
