import { describe, expect, it } from 'vitest';
import { createRng } from '../random/rng';
import { softmax } from '../sampling/softmax';
import type { AcceptanceRule } from './acceptance-rule';
import { LanternAcceptance } from './lantern-acceptance';
import { buildNeighbourTable } from './testing';
import { StandardAcceptance } from './standard-acceptance';

const VOCAB = 32;
const rng = createRng(17);
const codebook = Float32Array.from({ length: VOCAB * 4 }, () => rng.normal());
const neighbours = buildNeighbourTable(codebook, 4, 8);

/** Random target/draft pairs, some with masked (zero-probability) entries as after top-k. */
const pairs = Array.from({ length: 100 }, () => {
  const mask = (l: number) => (rng.uniform() < 0.2 ? -Infinity : l);
  const p = softmax(Float32Array.from({ length: VOCAB }, () => mask(2 * rng.normal())));
  const q = softmax(Float32Array.from({ length: VOCAB }, () => mask(2 * rng.normal())));
  return { p, q };
});

const rules: Record<string, AcceptanceRule> = {
  standard: new StandardAcceptance(),
  'LANTERN k=8 δ=0.1': new LanternAcceptance({ neighbours, k: 8, delta: 0.1 }),
  'LANTERN k=4 δ=2 (relative)': new LanternAcceptance({ neighbours, k: 4, delta: 2 }),
};

describe.each(Object.entries(rules))('AcceptanceRule contract: %s', (_name, rule) => {
  it('gives acceptance probabilities in [0, 1] and never less than the standard rule', () => {
    const standard = new StandardAcceptance();
    for (const { p, q } of pairs) {
      for (let x = 0; x < VOCAB; x++) {
        if (q[x] === 0) continue;
        const a = rule.acceptanceProbability(p, q, x);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(1);
        expect(a).toBeGreaterThanOrEqual(standard.acceptanceProbability(p, q, x));
      }
    }
  });

  it('writes a non-negative residual with mass, supported where the target is', () => {
    const out = new Float32Array(VOCAB);
    for (const { p, q } of pairs) {
      rule.residual(p, q, 0, out);
      expect(out.reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
      out.forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(0);
        if (p[i] === 0) expect(v).toBe(0);
      });
    }
  });
});
