import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { createRng } from '../random/rng';
import { moments } from '../solvers/testing';
import { DdimScheduler } from './ddim-scheduler';
import { DdpmScheduler } from './ddpm-scheduler';
import type { DiffusionScheduler } from './diffusion-scheduler';
import { gaussianEpsilon } from './testing';

const MU = 1.5;
const SIGMA = 0.5;
const N = 20_000;

/** Every scheduler configuration, with a step count at which it should recover N(μ, σ²). */
const SCHEDULERS: ReadonlyArray<[string, () => DiffusionScheduler, number]> = [
  ['DDPM cosine, fixed large', () => new DdpmScheduler({ betaSchedule: 'cosine' }), 250],
  ['DDPM linear, fixed large', () => new DdpmScheduler({ betaSchedule: 'linear' }), 1000],
  [
    'DDPM cosine, fixed small',
    () => new DdpmScheduler({ betaSchedule: 'cosine', varianceType: 'fixedSmall' }),
    1000,
  ],
  ['DDIM cosine, η = 0', () => new DdimScheduler({ betaSchedule: 'cosine' }), 100],
  ['DDIM linear, η = 0', () => new DdimScheduler({ betaSchedule: 'linear' }), 250],
  ['DDIM cosine, η = 1', () => new DdimScheduler({ betaSchedule: 'cosine', eta: 1 }), 1000],
];

/** Samples N tokens from the start noise of seed 1 with the exact ε. */
function sample(scheduler: DiffusionScheduler, seed = 2): Float32Array {
  const start = createRng(1);
  const x = Float32Array.from({ length: N }, () => start.normal());
  const eps = gaussianEpsilon(MU, SIGMA, scheduler.alphasCumprod);
  const rng = createRng(seed);
  for (const t of scheduler.timesteps) scheduler.step(eps(x, t), t, x, rng);
  return x;
}

describe.each(SCHEDULERS)('DiffusionScheduler contract: %s', (_name, make, steps) => {
  it('respaces to n descending original timesteps from T − 1 to 0', () => {
    const scheduler = make();
    scheduler.setTimesteps(10);
    const { timesteps } = scheduler;
    expect(timesteps.length).toBe(10);
    expect(timesteps[0]).toBe(scheduler.numTrainTimesteps - 1);
    expect(timesteps[9]).toBe(0);
    for (let i = 1; i < timesteps.length; i++) expect(timesteps[i]).toBeLessThan(timesteps[i - 1]);
    expect(scheduler.alphasCumprod.length).toBe(scheduler.numTrainTimesteps);
  });

  it('rejects a bad step count, an unknown timestep and a length mismatch', () => {
    const scheduler = make();
    const x = new Float32Array(4);
    expect(() => scheduler.step(new Float32Array(4), 0, x, createRng(0))).toThrow(
      InvalidArgumentError,
    );
    expect(() => scheduler.setTimesteps(0)).toThrow(InvalidArgumentError);
    expect(() => scheduler.setTimesteps(scheduler.numTrainTimesteps + 1)).toThrow(
      InvalidArgumentError,
    );
    scheduler.setTimesteps(10);
    expect(() => scheduler.step(new Float32Array(4), 5, x, createRng(0))).toThrow(
      InvalidArgumentError,
    );
    expect(() =>
      scheduler.step(new Float32Array(3), scheduler.timesteps[0], x, createRng(0)),
    ).toThrow(InvalidArgumentError);
  });

  it('is reproducible: the same start noise and seed give the same tokens', () => {
    const a = make();
    const b = make();
    a.setTimesteps(20);
    b.setTimesteps(20);
    expect(sample(a).subarray(0, 64)).toEqual(sample(b).subarray(0, 64));
  });

  it(`recovers N(${MU}, ${SIGMA}²) from N(0, 1) with the exact ε`, () => {
    const scheduler = make();
    scheduler.setTimesteps(steps);
    const { mean, std } = moments(sample(scheduler));
    expect(Math.abs(mean - MU)).toBeLessThan((4 * SIGMA) / Math.sqrt(N));
    expect(Math.abs(std - SIGMA)).toBeLessThan((4 * SIGMA) / Math.sqrt(2 * N));
  });
});
