import { describe, expect, it } from 'vitest';
import { createRng } from '../random/rng';
import { AcceptanceStats } from './acceptance-stats';
import { LanternAcceptance } from './lantern-acceptance';
import { buildNeighbourTable, expectedAcceptanceRate, expectedTokensPerRound } from './testing';
import { StandardAcceptance } from './standard-acceptance';
import { verifyDraft } from './verify-draft';

const f32 = (values: number[]) => Float32Array.from(values);

describe('StandardAcceptance', () => {
  const rule = new StandardAcceptance();
  const p = f32([0.5, 0.3, 0.2]);
  const q = f32([0.2, 0.6, 0.2]);

  it('accepts with min(1, p/q)', () => {
    expect(rule.acceptanceProbability(p, q, 0)).toBe(1);
    expect(rule.acceptanceProbability(p, q, 1)).toBeCloseTo(0.5, 6);
    expect(rule.acceptanceProbability(p, q, 2)).toBe(1);
    expect(rule.acceptanceProbability(f32([0, 1]), f32([0, 1]), 0)).toBe(0);
  });

  it('resamples from max(p − q, 0)', () => {
    const out = new Float32Array(3);
    rule.residual(p, q, 1, out);
    expect(out[0]).toBeCloseTo(0.3, 6);
    expect(out[1]).toBe(0);
    expect(out[2]).toBe(0);
  });

  it('has expected acceptance Σ min(p, q) and Leviathan’s tokens per round', () => {
    expect(expectedAcceptanceRate(p, q, rule)).toBeCloseTo(0.2 + 0.3 + 0.2, 6);
    expect(expectedTokensPerRound(0.7, 3)).toBeCloseTo((1 - 0.7 ** 4) / 0.3, 12);
    expect(expectedTokensPerRound(1, 3)).toBe(4);
  });
});

describe('buildNeighbourTable', () => {
  it('sorts the other codes by L2 distance, nearest first, excluding the code itself', () => {
    // 1-D codebook at 0, 1, 3, 7.
    const table = buildNeighbourTable(f32([0, 1, 3, 7]), 1, 2);
    expect([...table.indices]).toEqual([1, 2, 0, 2, 1, 0, 2, 1]);
  });

  it('uses every dimension, pads with -1 and rejects a ragged codebook', () => {
    const table = buildNeighbourTable(f32([0, 0, 3, 0, 0, 1]), 2, 3);
    expect([...table.indices]).toEqual([2, 1, -1, 0, 2, -1, 0, 1, -1]);
    expect(() => buildNeighbourTable(f32([0, 1, 2]), 2, 1)).toThrow(RangeError);
  });
});

describe('LanternAcceptance', () => {
  // Code 0's neighbours, nearest first: 1, 2, 3.
  const neighbours = { indices: Int32Array.from([1, 2, 3, 0, 2, 3, 1, 3, 0, 2, 1, 0]), width: 3 };
  const p = f32([0.1, 0.2, 0.3, 0.4]);

  it('borrows the longest neighbour prefix whose mass stays within δ', () => {
    const relaxed = (k: number, delta: number) =>
      new LanternAcceptance({ neighbours, k, delta }).relaxedProbability(p, 0);
    expect(relaxed(3, 0)).toBeCloseTo(0.1, 6); // 0.2 > 0
    expect(relaxed(3, 0.25)).toBeCloseTo(0.3, 6); // 0.2 ≤ 0.25 < 0.5
    expect(relaxed(3, 0.6)).toBeCloseTo(0.6, 6); // 0.5 ≤ 0.6 < 0.9
    expect(relaxed(1, 0.6)).toBeCloseTo(0.3, 6); // k caps m*
    expect(relaxed(3, 1)).toBeCloseTo(1, 6);
    expect(relaxed(0, 1)).toBeCloseTo(0.1, 6);
  });

  it('reads δ > 1 as the official relative budget (δ − 1)·p(x)', () => {
    // budget 2 × 0.1 = 0.2 admits the first neighbour (0.2) exactly.
    expect(
      new LanternAcceptance({ neighbours, k: 3, delta: 3 }).relaxedProbability(p, 0),
    ).toBeCloseTo(0.3, 6);
    expect(
      new LanternAcceptance({ neighbours, k: 3, delta: 2.5 }).relaxedProbability(p, 0),
    ).toBeCloseTo(0.1, 6);
  });

  it('accepts with min(1, p̃/q) and validates k against the table width', () => {
    const rule = new LanternAcceptance({ neighbours, k: 3, delta: 0.25 });
    expect(rule.acceptanceProbability(p, f32([0.6, 0.1, 0.1, 0.2]), 0)).toBeCloseTo(0.5, 6);
    expect(rule.acceptanceProbability(p, f32([0.25, 0.25, 0.25, 0.25]), 0)).toBe(1);
    expect(() => new LanternAcceptance({ neighbours, k: 4, delta: 0.1 })).toThrow(RangeError);
    expect(() => new LanternAcceptance({ neighbours, k: 1, delta: -0.1 })).toThrow(RangeError);
  });
});

describe('verifyDraft', () => {
  const p = f32([0.5, 0.3, 0.2]);

  it('keeps every token when draft equals target and adds a bonus from the last row', () => {
    const rng = createRng(1);
    const result = verifyDraft({
      targetProbs: [p, p, f32([0, 0, 1])],
      draftProbs: [p, p],
      draftTokens: [1, 0],
      rule: new StandardAcceptance(),
      rng,
    });
    expect(result).toEqual({ accepted: 2, tokens: [1, 0, 2] });
  });

  it('stops at the first impossible token and replaces it from the residual', () => {
    const result = verifyDraft({
      targetProbs: [p, f32([1, 0, 0]), p],
      draftProbs: [p, f32([0, 1, 0])],
      draftTokens: [2, 1],
      rule: new StandardAcceptance(),
      rng: createRng(2),
    });
    expect(result).toEqual({ accepted: 1, tokens: [2, 0] });
  });

  it('rejects mismatched row counts', () => {
    expect(() =>
      verifyDraft({
        targetProbs: [p],
        draftProbs: [p],
        draftTokens: [0],
        rule: new StandardAcceptance(),
        rng: createRng(3),
      }),
    ).toThrow(RangeError);
  });

  it('AcceptanceStats tallies rounds', () => {
    const stats = new AcceptanceStats();
    stats.record({ accepted: 2, tokens: [1, 0, 2] }, 2);
    stats.record({ accepted: 0, tokens: [1] }, 2);
    expect(stats.acceptanceRate).toBe(0.5);
    expect(stats.tokensPerRound).toBe(2);
    stats.reset();
    expect(stats.acceptanceRate).toBe(0);
  });
});
