import { describe, expect, it } from 'vitest';
import { createRng } from '../random/rng';
import { buildLogitsProcessors } from './build-logits-processors';
import { CategoricalSampler } from './categorical-sampler';
import { softmax } from './softmax';
import { chiSquareTest } from './testing/chi-square';

/** A fixed 16-token row with a spread of probabilities (some far below the top). */
function testLogits(): Float32Array {
  const rng = createRng(2024);
  return Float32Array.from({ length: 16 }, () => 2 * rng.normal());
}

const DRAWS = 50_000;
const ALPHA = 0.001;

describe('softmax', () => {
  it('normalises, survives huge logits and gives masked entries 0', () => {
    const p = softmax([1000, 1000 + Math.log(3), -Infinity]);
    expect(p[0]).toBeCloseTo(0.25, 6);
    expect(p[1]).toBeCloseTo(0.75, 6);
    expect(p[2]).toBe(0);
  });

  it('works in place and refuses an all-masked row', () => {
    const row = Float32Array.from([0, 0]);
    expect(softmax(row, row)).toBe(row);
    expect([...row]).toEqual([0.5, 0.5]);
    expect(() => softmax([-Infinity, -Infinity])).toThrow(RangeError);
  });
});

describe('CategoricalSampler', () => {
  const sampler = new CategoricalSampler();

  it('never draws a masked token and draws a lone survivor always', () => {
    const rng = createRng(3);
    const row = Float32Array.from([-Infinity, 0, -Infinity]);
    for (let i = 0; i < 1000; i++) expect(sampler.sample(row, rng)).toBe(1);
    expect(() => sampler.sample(Float32Array.from([-Infinity]), rng)).toThrow(RangeError);
  });

  it('is reproducible for a seed', () => {
    const logits = testLogits();
    const a = createRng(11);
    const b = createRng(11);
    const first = Array.from({ length: 50 }, () => sampler.sample(logits, a));
    expect(Array.from({ length: 50 }, () => sampler.sample(logits, b))).toEqual(first);
  });

  it('draws match the processed distribution (χ², 50k draws, temperature 0.8 → top-k 12 → top-p 0.9)', () => {
    const logits = testLogits();
    buildLogitsProcessors({ temperature: 0.8, topK: 12, topP: 0.9 }).process(logits, {
      step: 0,
      generated: [],
    });
    const expected = softmax(logits);
    const survivors = expected.filter((p) => p > 0).length;
    expect(survivors).toBeGreaterThan(4);
    expect(survivors).toBeLessThan(12);

    const rng = createRng(42);
    const counts = new Float64Array(logits.length);
    for (let i = 0; i < DRAWS; i++) counts[sampler.sample(logits, rng)]++;

    const fit = chiSquareTest(counts, expected);
    console.info(
      `sampler χ² = ${fit.statistic.toFixed(2)}, df = ${fit.df}, p = ${fit.pValue.toFixed(4)}`,
    );
    expect(fit.pValue).toBeGreaterThan(ALPHA);

    // Power: the same draws against the unfiltered distribution, and against one where only two
    // tokens swap 1% of mass, are both rejected by the same test.
    const raw = softmax(testLogits());
    const tempered = softmax(testLogits().map((l) => l / 0.8));
    const order = [...expected.keys()]
      .filter((i) => expected[i] > 0)
      .sort((a, b) => expected[b] - expected[a]);
    const nudged = Float32Array.from(expected);
    nudged[order[0]] -= 0.01;
    nudged[order[1]] += 0.01;
    for (const wrong of [raw, tempered, nudged]) {
      const bad = chiSquareTest(counts, wrong);
      console.info(
        `wrong distribution χ² = ${bad.statistic.toFixed(2)}, p = ${bad.pValue.toExponential(2)}`,
      );
      expect(bad.pValue).toBeLessThan(ALPHA);
    }
  });

  it('sampleWeights draws proportionally to unnormalised weights and skips zeros', () => {
    const weights = [0, 2, 0, 1, 5, 0];
    const rng = createRng(5);
    const counts = new Float64Array(weights.length);
    for (let i = 0; i < DRAWS; i++) counts[sampler.sampleWeights(weights, rng)]++;
    const fit = chiSquareTest(
      counts,
      weights.map((w) => w / 8),
    );
    console.info(
      `sampleWeights χ² = ${fit.statistic.toFixed(2)}, df = ${fit.df}, p = ${fit.pValue.toFixed(4)}`,
    );
    expect(fit.pValue).toBeGreaterThan(ALPHA);
    expect(() => sampler.sampleWeights([0, 0], rng)).toThrow(RangeError);
  });
});
