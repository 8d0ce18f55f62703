import { describe, expect, it } from 'vitest';
import { applyCfg } from '../guidance/apply-cfg';
import { ConstantGuidance } from '../guidance/constant-guidance';
import { LinearRampGuidance } from '../guidance/linear-ramp-guidance';
import { createRng } from '../random/rng';
import { buildLogitsProcessors } from '../sampling/build-logits-processors';
import { CategoricalSampler } from '../sampling/categorical-sampler';
import { softmax } from '../sampling/softmax';
import { chiSquareTest } from '../sampling/testing/chi-square';
import { CategoricalHead } from './categorical-head';

const VOCAB = 6;
const context = { step: 0, generated: [] };
/** Two rows of cond logits, then two of uncond. */
const block = Float32Array.from([
  ...[0.5, 1, -1, 2, 0, 0.3],
  ...[1, 0, 0, 0, 0.2, -0.4],
  ...[0, 0.5, 0, 1, 1, 0],
  ...[0.2, 0.1, 0, 0, 0.3, 0],
]);

describe('CategoricalHead', () => {
  it('without guidance has one branch and passes the conditional rows through', () => {
    const head = new CategoricalHead();
    expect(head.branches).toBe(1);
    const out = head.guide(
      block,
      2,
      VOCAB,
      { step: 0, totalSteps: 1 },
      new Float32Array(2 * VOCAB),
    );
    expect([...out]).toEqual([...block.subarray(0, 2 * VOCAB)]);
  });

  it('guides a [cond; uncond] block with the schedule’s scale at the step', () => {
    const ramp = new LinearRampGuidance(1.5);
    const head = new CategoricalHead({ guidance: ramp });
    expect(head.branches).toBe(2);
    for (const step of [0, 2, 3]) {
      const out = head.guide(block, 2, VOCAB, { step, totalSteps: 4 }, new Float32Array(2 * VOCAB));
      const want = applyCfg(block, 2, VOCAB, ramp.scaleAt(step, 4), new Float32Array(2 * VOCAB));
      expect([...out]).toEqual([...want]);
    }
  });

  it('samples exactly as processors + CategoricalSampler on the same uniforms', () => {
    const sampling = { temperature: 0.7, topK: 3, topP: 0.9 };
    const head = new CategoricalHead({ sampling, guidance: new ConstantGuidance(3) });
    const processors = buildLogitsProcessors(sampling);
    const sampler = new CategoricalSampler();
    const a = createRng(4);
    const b = createRng(4);
    for (let n = 0; n < 200; n++) {
      const guided = head.guide(
        block,
        2,
        VOCAB,
        { step: 0, totalSteps: 1 },
        new Float32Array(2 * VOCAB),
      );
      const row = guided.subarray(VOCAB * (n % 2), VOCAB * (n % 2) + VOCAB);
      const reference = Float32Array.from(row);
      processors.process(reference, context);
      expect(head.sample(row, context, a)).toBe(sampler.sample(reference, b));
    }
  });

  it('never draws outside the allowed ids, and its probabilities are the law of its draws (χ²)', () => {
    const head = new CategoricalHead({ sampling: { temperature: 1.5 }, allowed: [1, 5] });
    const logits = block.subarray(0, VOCAB);
    const law = head.probabilities(Float32Array.from(logits), context);
    expect(law[0]).toBe(0);
    expect(law[5]).toBe(0);
    expect([...law]).toEqual([
      ...softmax(Float32Array.from([-Infinity, 1 / 1.5, -1 / 1.5, 2 / 1.5, 0, -Infinity])),
    ]);
    const rng = createRng(8);
    const counts = new Float64Array(VOCAB);
    for (let n = 0; n < 20_000; n++) counts[head.sample(Float32Array.from(logits), context, rng)]++;
    expect(counts[0] + counts[5]).toBe(0);
    const fit = chiSquareTest(counts.subarray(1, 5), Float64Array.from(law.subarray(1, 5)));
    expect(fit.pValue).toBeGreaterThan(0.001);
  });
});
