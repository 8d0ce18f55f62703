import { describe, expect, it } from 'vitest';
import { DdpmScheduler } from '../diffusion/ddpm-scheduler';
import { runToResult, type ProgressEvent } from '../generation/generator';
import { DiffusionTokenHead } from '../heads/diffusion-token-head';
import { moments } from '../solvers/testing';
import {
  ContinuousAcceptanceStats,
  ContinuousSpeculativeSampler,
} from '../speculative/continuous-speculation';
import { createRng } from '../random/rng';
import { MaskedDiffusionGenerator } from './masked-diffusion-generator';
import {
  ClassMeanBackbone,
  GaussianDenoiser,
  IdentityTokenDecoder,
  ksCritical,
  ksStatistic,
} from './testing/analytic-continuous-models';

const L = 12;
const DIM = 2;
const SIGMA = 0.4;
const NULL = 10;

function head(steps: number, sigma = SIGMA, shift = 0) {
  const scheduler = new DdpmScheduler();
  scheduler.setTimesteps(steps);
  return new DiffusionTokenHead(
    new GaussianDenoiser(DIM, 2, sigma, scheduler.alphasCumprod, shift),
    scheduler,
  );
}

function generator(steps = 50, draft?: { sigma: number; shift: number }) {
  const backbone = new ClassMeanBackbone(L, DIM, NULL, (c) => c / 2);
  const target = head(steps);
  const spec = draft
    ? {
        backbone: new ClassMeanBackbone(L, DIM, NULL, (c) => c / 2),
        sampler: new ContinuousSpeculativeSampler(target, head(steps, draft.sigma, draft.shift)),
      }
    : undefined;
  return {
    backbone,
    target,
    generator: new MaskedDiffusionGenerator(
      backbone,
      target,
      new IdentityTokenDecoder(),
      NULL,
      spec,
    ),
  };
}

describe('MaskedDiffusionGenerator (MAR loop on an analytic backbone and head)', () => {
  it('fills every token once in numIter rounds, each from the data law', async () => {
    const { backbone, generator: g } = generator();
    const events: ProgressEvent[] = [];
    const images = 200;
    const result = await runToResult(
      g.generate(
        {
          classLabels: new Array(images).fill(3),
          guidanceScale: 1,
          temperature: 1,
          numIter: 4,
          previews: true,
        },
        { seed: 2 },
      ),
      (e) => events.push(e),
    );
    expect(events.map((e) => e.step)).toEqual([1, 2, 3, 4]);
    expect(backbone.masks).toHaveLength(4);
    // Masked counts shrink by the cosine schedule and the last round sees some still masked.
    const masked = backbone.masks.map((m) => m.reduce((s, v) => s + v, 0) / images);
    expect(masked[0]).toBe(L);
    expect(masked[3]).toBeGreaterThan(0);
    expect(masked.every((m, i) => i === 0 || m < masked[i - 1])).toBe(true);
    const { mean, std } = moments(result.tokens);
    expect(mean).toBeCloseTo(1.5, 1);
    expect(std).toBeGreaterThan(SIGMA * 0.85);
    expect(std).toBeLessThan(SIGMA * 1.15);
    // Previews show unknown tokens as −1 until the last round.
    const first = (events[0].preview as { tokens: Float32Array }).tokens;
    expect(first.filter((v) => v === -1).length).toBeGreaterThan(0);
    expect((events[3].preview as { tokens: Float32Array }).tokens).toEqual(result.tokens);
  });

  it('in-painting keeps the known tokens and generates only the others', async () => {
    const { backbone, generator: g } = generator();
    const known = new Uint8Array(L);
    known.fill(1, 0, 5);
    const tokens = Float32Array.from({ length: L * DIM }, (_, i) => 100 + i);
    const result = await runToResult(
      g.generate(
        {
          classLabels: [1],
          guidanceScale: 3,
          temperature: 1,
          numIter: 3,
          known: { tokens, known },
        },
        { seed: 4 },
      ),
    );
    expect(Array.from(result.tokens.subarray(0, 5 * DIM))).toEqual(
      Array.from(tokens.subarray(0, 5 * DIM)),
    );
    expect(result.tokens.subarray(5 * DIM).every((v) => v < 50)).toBe(true);
    // The backbone never sees the known tokens as masked (both guided halves).
    expect(backbone.masks[0].subarray(0, 5).every((m) => m === 0)).toBe(true);
    expect(backbone.masks[0].subarray(L, L + 5).every((m) => m === 0)).toBe(true);
  });

  it('same seed, same tokens; abort stops between rounds', async () => {
    const { generator: g } = generator(10);
    const request = { classLabels: [2, 5], guidanceScale: 2, temperature: 0.9, numIter: 4 };
    const a = await runToResult(g.generate(request, { seed: 8 }));
    const b = await runToResult(g.generate(request, { seed: 8 }));
    expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
    const controller = new AbortController();
    const iterator = g
      .generate(request, { seed: 8, signal: controller.signal })
      [Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    await expect(iterator.next()).rejects.toThrow(/aborted after step 1/);
  });
});

describe('ContinuousSpeculativeSampler (CSpD on paths, exact)', () => {
  const rows = 3000;
  const draw = { guidanceScale: 1, temperature: 1 };
  const z = Float32Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? 0.5 : 0));

  it('draws the target law from a wrong draft; a test that tells the laws apart accepts it', async () => {
    const target = head(20);
    const draft = head(20, 0.6, -0.3);
    const sampler = new ContinuousSpeculativeSampler(target, draft);
    const stats = new ContinuousAcceptanceStats();
    const speculative = await sampler.sample(z, z, rows, draw, createRng(1), stats);
    const plain = await target.sample(z, rows, draw, createRng(2));
    const draftOnly = await draft.sample(z, rows, draw, createRng(3));
    const critical = ksCritical(speculative.length, plain.length, 0.001);
    // The KS test has the power to reject the draft's law …
    expect(ksStatistic(draftOnly, plain)).toBeGreaterThan(critical);
    // … and accepts the speculative output as the target's.
    expect(ksStatistic(speculative, plain)).toBeLessThan(critical);
    expect(stats.proposed).toBe(rows);
    expect(stats.acceptanceRate).toBeGreaterThan(0.05);
    expect(stats.acceptanceRate).toBeLessThan(0.95);
    expect(stats.fallbacks).toBe(0);
  });

  it('keeps every token of a draft equal to the target, in one target call', async () => {
    const target = head(20);
    const sampler = new ContinuousSpeculativeSampler(target, head(20));
    const stats = new ContinuousAcceptanceStats();
    const calls = (target.denoiser as GaussianDenoiser).calls;
    await sampler.sample(z, z, 100, draw, createRng(5), stats);
    expect(stats.acceptanceRate).toBe(1);
    expect((target.denoiser as GaussianDenoiser).calls - calls).toBe(1);
  });

  it('inside MAR: same law as plain sampling, acceptance reported', async () => {
    const images = 300;
    const request = {
      classLabels: new Array(images).fill(4),
      guidanceScale: 1,
      temperature: 1,
      numIter: 3,
    };
    const plain = await runToResult(generator(20).generator.generate(request, { seed: 1 }));
    const spec = await runToResult(
      generator(20, { sigma: 0.5, shift: 0.2 }).generator.generate(request, { seed: 2 }),
    );
    expect(spec.acceptanceRate).toBeGreaterThan(0);
    expect(ksStatistic(spec.tokens, plain.tokens)).toBeLessThan(
      ksCritical(spec.tokens.length, plain.tokens.length, 0.001),
    );
  });

  it('refuses temperature 0 (a noiseless path has no density)', async () => {
    const sampler = new ContinuousSpeculativeSampler(head(5), head(5));
    await expect(
      sampler.sample(
        z,
        z,
        2,
        { guidanceScale: 1, temperature: 0 },
        createRng(1),
        new ContinuousAcceptanceStats(),
      ),
    ).rejects.toThrow(/temperature/);
  });
});
