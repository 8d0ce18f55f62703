import { describe, expect, it } from 'vitest';
import { runToResult } from '../generation/generator';
import { applyCfg } from '../guidance/apply-cfg';
import { createRng } from '../random/rng';
import { buildLogitsProcessors } from '../sampling/build-logits-processors';
import { softmax } from '../sampling/softmax';
import { chiSquareTest } from '../sampling/testing/chi-square';
import { LanternAcceptance } from '../speculative/lantern-acceptance';
import { StandardAcceptance } from '../speculative/standard-acceptance';
import { RasterGenerator, type RasterTokenLayout } from './raster-generator';
import { DraftHeadRasterGenerator } from './draft-head-raster-generator';
import { JacobiRasterGenerator } from './jacobi-raster-generator';
import { SpeculativeRasterGenerator } from './speculative-raster-generator';
import { BigramDraftHeadStepModel } from './testing/bigram-draft-head-step-model';
import { BigramStepModel } from './testing/bigram-step-model';

// Codes 0..5, classes 6 and 7, null class 8; three tokens per "image".
const CODES = 6;
const VOCAB = 9;
const T = 3;
const layout: RasterTokenLayout = {
  tokensPerImage: T,
  codeOffset: 0,
  codebookSize: CODES,
  classToken: (c) => 6 + c,
  nullClassToken: 8,
};
const decoder = { decode: async ({ codes }: { codes: Int32Array }) => codes };
const sampling = { temperature: 0.9, topK: 5 };
const scale = 2;

function randomTable(seed: number, spread: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: VOCAB * VOCAB }, () => rng.normal() * spread);
}

/** Exact law of the 6³ code sequences under guidance and the processor chain. */
function exactLaw(table: Float32Array, classLabel: number): Float64Array {
  const processors = buildLogitsProcessors(sampling);
  const step = (condToken: number, uncondToken: number, position: number) => {
    const pair = new Float32Array(2 * VOCAB);
    pair.set(table.subarray(condToken * VOCAB, (condToken + 1) * VOCAB), 0);
    pair.set(table.subarray(uncondToken * VOCAB, (uncondToken + 1) * VOCAB), VOCAB);
    const row = applyCfg(pair, 1, VOCAB, scale, new Float32Array(VOCAB));
    row.fill(Number.NEGATIVE_INFINITY, CODES);
    processors.process(row, { step: position, generated: [] });
    return softmax(row, row);
  };
  const law = new Float64Array(CODES ** T);
  const p0 = step(layout.classToken(classLabel), layout.nullClassToken, 0);
  for (let a = 0; a < CODES; a++) {
    const p1 = step(a, a, 1);
    for (let b = 0; b < CODES; b++) {
      const p2 = step(b, b, 2);
      for (let c = 0; c < CODES; c++) law[(a * CODES + b) * CODES + c] = p0[a] * p1[b] * p2[c];
    }
  }
  return law;
}

function histogram(codes: Int32Array): Float64Array {
  const counts = new Float64Array(CODES ** T);
  for (let i = 0; i < codes.length; i += T)
    counts[(codes[i] * CODES + codes[i + 1]) * CODES + codes[i + 2]]++;
  return counts;
}

describe('raster generators on a bigram test model (exact laws)', () => {
  const target = randomTable(1, 1.2);
  const draft = randomTable(2, 1.2);
  const images = 30_000;
  const request = {
    classLabels: new Array<number>(images).fill(1),
    guidanceScale: scale,
    sampling,
  };
  const law = exactLaw(target, 1);

  it('plain raster sampling follows the guided, processed target law (χ²)', async () => {
    const generator = new RasterGenerator(new BigramStepModel(target, VOCAB), layout, decoder);
    const { codes } = await runToResult(generator.generate(request, { seed: 1 }));
    const test = chiSquareTest(histogram(codes), law);
    expect(test.pValue).toBeGreaterThan(0.001);
  });

  it('standard speculative decoding follows the same target law with a different draft (χ²)', async () => {
    const generator = new SpeculativeRasterGenerator(
      new BigramStepModel(target, VOCAB),
      new BigramStepModel(draft, VOCAB),
      layout,
      decoder,
      {
        draftTokens: 2,
        rule: new StandardAcceptance(),
      },
    );
    const result = await runToResult(generator.generate(request, { seed: 2 }));
    const test = chiSquareTest(histogram(result.codes), law);
    expect(test.pValue).toBeGreaterThan(0.001);
    expect(result.acceptanceRate).toBeGreaterThan(0);
    expect(result.acceptanceRate).toBeLessThan(1);
    // The test has power: the draft's own law is rejected by the same statistic.
    // (cells the draft's top-k masks but the target fills make the statistic infinite).
    expect(chiSquareTest(histogram(result.codes), exactLaw(draft, 1)).statistic).toBeGreaterThan(
      1000,
    );
  });

  it('accepts every draft token when the draft is the target, in ⌈T/(γ+1)⌉ target forwards per image', async () => {
    const model = new BigramStepModel(target, VOCAB);
    const generator = new SpeculativeRasterGenerator(
      model,
      new BigramStepModel(target, VOCAB),
      layout,
      decoder,
      {
        draftTokens: 2,
        rule: new StandardAcceptance(),
      },
    );
    const result = await runToResult(
      generator.generate({ ...request, classLabels: [0, 1, 0] }, { seed: 3 }),
    );
    expect(result.acceptanceRate).toBe(1);
    expect(result.targetForwards).toBe(3 * Math.ceil(T / 3));
  });

  it('LANTERN with δ > 0 accepts more drafts than the standard rule', async () => {
    const neighbours = {
      indices: Int32Array.from(
        { length: CODES * 2 },
        (_, i) => (Math.floor(i / 2) + 1 + (i % 2)) % CODES,
      ),
      width: 2,
    };
    const run = async (rule: StandardAcceptance | LanternAcceptance) =>
      runToResult(
        new SpeculativeRasterGenerator(
          new BigramStepModel(target, VOCAB),
          new BigramStepModel(draft, VOCAB),
          layout,
          decoder,
          { draftTokens: 2, rule },
        ).generate({ ...request, classLabels: new Array<number>(5000).fill(1) }, { seed: 4 }),
      );
    const standard = await run(new StandardAcceptance());
    const lantern = await run(new LanternAcceptance({ neighbours, k: 2, delta: 0.3 }));
    expect(lantern.acceptanceRate).toBeGreaterThan(standard.acceptanceRate + 0.02);
  });

  it('Speculative Jacobi decoding (no draft model) follows the same target law (χ²), and the test rejects a wrong law', async () => {
    const generator = new JacobiRasterGenerator(
      new BigramStepModel(target, VOCAB),
      layout,
      decoder,
      {
        window: 2,
        rule: new StandardAcceptance(),
      },
    );
    const result = await runToResult(generator.generate(request, { seed: 5 }));
    const test = chiSquareTest(histogram(result.codes), law);
    expect(test.pValue).toBeGreaterThan(0.001);
    expect(result.acceptanceRate).toBeGreaterThan(0);
    expect(chiSquareTest(histogram(result.codes), exactLaw(draft, 1)).statistic).toBeGreaterThan(
      1000,
    );
    // Fewer target forwards than tokens: accepted drafts save forwards.
    expect(result.targetForwards).toBeLessThan(images * T);
    expect(result.targetForwards).toBeGreaterThanOrEqual(images * Math.ceil(T / 3));
  });

  it('draft heads inside the target graph: the output follows the target law (χ²) whatever the heads predict, and the test rejects a wrong law', async () => {
    const generator = new DraftHeadRasterGenerator(
      new BigramDraftHeadStepModel(target, VOCAB, [draft, randomTable(3, 1.2)]),
      layout,
      decoder,
      { draftTokens: 2, rule: new StandardAcceptance() },
    );
    const result = await runToResult(generator.generate(request, { seed: 8 }));
    const test = chiSquareTest(histogram(result.codes), law);
    expect(test.pValue).toBeGreaterThan(0.001);
    expect(result.acceptanceRate).toBeGreaterThan(0);
    expect(result.acceptanceRate).toBeLessThan(1);
    expect(chiSquareTest(histogram(result.codes), exactLaw(draft, 1)).statistic).toBeGreaterThan(
      1000,
    );
    expect(result.targetForwards).toBeLessThan(images * T);
  });

  it('draft heads that predict the target exactly are always kept: ⌈T/(γ+1)⌉ + 1 forwards per image', async () => {
    // Every row of the table alike: the token two places on follows the same law as the next one,
    // so both heads predicting that row are the target's exact marginals.
    const row = randomTable(4, 1.5).subarray(0, VOCAB);
    const flat = Float32Array.from({ length: VOCAB * VOCAB }, (_, i) => row[i % VOCAB]);
    const run = (seed: number, classLabels: number[]) =>
      runToResult(
        new DraftHeadRasterGenerator(
          new BigramDraftHeadStepModel(flat, VOCAB, [flat, flat]),
          layout,
          decoder,
          { draftTokens: 2, rule: new StandardAcceptance() },
        ).generate({ ...request, classLabels, sampling: {}, guidanceScale: 1 }, { seed }),
      );
    const result = await run(9, new Array<number>(50).fill(0));
    expect(result.acceptanceRate).toBe(1);
    // The prefill emits token 0 and the first drafts; one round then keeps both drafts.
    expect(result.targetForwards).toBe(50 * 2);
    const a = await run(10, [0, 1, 0, 1]);
    const b = await run(10, [0, 1, 0, 1]);
    expect(Array.from(b.codes)).toEqual(Array.from(a.codes));
  });

  it('draft heads: more draft tokens than the graph has heads is refused', () => {
    expect(
      () =>
        new DraftHeadRasterGenerator(
          new BigramDraftHeadStepModel(target, VOCAB, [draft]),
          layout,
          decoder,
          { draftTokens: 2, rule: new StandardAcceptance() },
        ),
    ).toThrow(/1\.\.1/);
  });

  it('Jacobi: when the next token does not depend on the context, redrawn drafts are all kept; same seed ⇒ same codes', async () => {
    // Every row of the bigram table alike: p_new at a position equals the p_old its draft came from.
    const row = randomTable(3, 1.5).subarray(0, VOCAB);
    const peaked = Float32Array.from({ length: VOCAB * VOCAB }, (_, i) => row[i % VOCAB]);
    const run = (seed: number, classLabels: number[]) =>
      runToResult(
        new JacobiRasterGenerator(new BigramStepModel(peaked, VOCAB), layout, decoder, {
          window: 2,
          rule: new StandardAcceptance(),
        }).generate({ ...request, classLabels, sampling: {} }, { seed }),
      );
    const many = await run(6, new Array<number>(300).fill(0));
    // The first iteration verifies uniform drafts, the second the target's own redraws, which
    // are all kept: two forwards for three tokens.
    expect(many.targetForwards).toBeLessThanOrEqual(300 * 2);
    expect(many.targetForwards).toBeGreaterThan(300);
    const a = await run(7, [0, 1, 0, 1]);
    const b = await run(7, [0, 1, 0, 1]);
    expect(Array.from(b.codes)).toEqual(Array.from(a.codes));
  });

  it('same seed ⇒ same codes; another seed ⇒ other codes', async () => {
    const generator = () =>
      new SpeculativeRasterGenerator(
        new BigramStepModel(target, VOCAB),
        new BigramStepModel(draft, VOCAB),
        layout,
        decoder,
        {
          draftTokens: 2,
          rule: new StandardAcceptance(),
        },
      );
    const small = { ...request, classLabels: new Array<number>(50).fill(0) };
    const a = await runToResult(generator().generate(small, { seed: 9 }));
    const b = await runToResult(generator().generate(small, { seed: 9 }));
    const c = await runToResult(generator().generate(small, { seed: 10 }));
    expect(Array.from(b.codes)).toEqual(Array.from(a.codes));
    expect(Array.from(c.codes)).not.toEqual(Array.from(a.codes));
  });
});
