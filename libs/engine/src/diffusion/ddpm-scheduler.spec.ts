import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { createRng } from '../random/rng';
import { moments } from '../solvers/testing';
import { DdimScheduler } from './ddim-scheduler';
import { DdpmScheduler } from './ddpm-scheduler';
import type { DiffusionScheduler, DiffusionStepOptions } from './diffusion-scheduler';
import { gaussianEpsilon } from './testing';

const MU = 1.5;
const SIGMA = 0.5;

function run(
  scheduler: DiffusionScheduler,
  steps: number,
  options: DiffusionStepOptions = {},
  seed = 2,
  n = 4000,
): Float32Array {
  scheduler.setTimesteps(steps);
  const start = createRng(1);
  const x = Float32Array.from({ length: n }, () => start.normal());
  const eps = gaussianEpsilon(MU, SIGMA, scheduler.alphasCumprod);
  const rng = createRng(seed);
  for (const t of scheduler.timesteps) scheduler.step(eps(x, t), t, x, rng, options);
  return x;
}

describe('DdpmScheduler', () => {
  it('is the posterior mean plus noise: one step from t = 0 returns x₀ exactly', () => {
    const scheduler = new DdpmScheduler();
    scheduler.setTimesteps(1000);
    const alphaBar = scheduler.alphasCumprod[0];
    const x0 = 0.7;
    const eps = -1.2;
    const sample = Float32Array.from([Math.sqrt(alphaBar) * x0 + Math.sqrt(1 - alphaBar) * eps]);
    scheduler.step(Float32Array.from([eps]), 0, sample);
    expect(sample[0]).toBeCloseTo(x0, 5);
  });

  it('needs an rng for every step but the last', () => {
    const scheduler = new DdpmScheduler();
    scheduler.setTimesteps(10);
    const x = new Float32Array(2);
    expect(() => scheduler.step(new Float32Array(2), scheduler.timesteps[0], x)).toThrow(
      InvalidArgumentError,
    );
  });

  it('temperature scales only the fresh noise: 0 is seed-independent and narrower than 1', () => {
    const cold = run(new DdpmScheduler(), 50, { temperature: 0 }, 3);
    expect(run(new DdpmScheduler(), 50, { temperature: 0 }, 4)).toEqual(cold);
    const warm = moments(run(new DdpmScheduler(), 50, { temperature: 1 }, 3)).std;
    expect(moments(cold).std).toBeLessThan(warm - 0.05);
    expect(() => run(new DdpmScheduler(), 5, { temperature: -1 })).toThrow(InvalidArgumentError);
  });

  it('learned range −1 is fixed small and +1 is fixed large (same noise)', () => {
    const n = 256;
    const low = { varianceValues: new Float32Array(n).fill(-1) };
    const high = { varianceValues: new Float32Array(n).fill(1) };
    const small = run(new DdpmScheduler({ varianceType: 'fixedSmall' }), 20, {}, 5, n);
    const large = run(new DdpmScheduler({ varianceType: 'fixedLarge' }), 20, {}, 5, n);
    run(new DdpmScheduler(), 20, low, 5, n).forEach((v, i) => expect(v).toBeCloseTo(small[i], 5));
    run(new DdpmScheduler(), 20, high, 5, n).forEach((v, i) => expect(v).toBeCloseTo(large[i], 5));
    expect(() => run(new DdpmScheduler(), 20, { varianceValues: new Float32Array(3) })).toThrow(
      InvalidArgumentError,
    );
  });

  it('fixed small equals DDIM with η = 1 step by step (same noise draws)', () => {
    const ddpm = run(new DdpmScheduler({ varianceType: 'fixedSmall' }), 30, {}, 7, 256);
    const ddim = run(new DdimScheduler({ eta: 1 }), 30, {}, 7, 256);
    ddpm.forEach((v, i) => expect(v).toBeCloseTo(ddim[i], 4));
  });

  it('fixed small under-disperses with few steps while fixed large stays close (why large is the default)', () => {
    const n = 20_000;
    const small = moments(run(new DdpmScheduler({ varianceType: 'fixedSmall' }), 50, {}, 2, n)).std;
    const large = moments(run(new DdpmScheduler(), 50, {}, 2, n)).std;
    expect(small).toBeLessThan(SIGMA - 0.02);
    expect(Math.abs(large - SIGMA)).toBeLessThan(Math.abs(small - SIGMA));
  });
});

describe('DdpmScheduler clipSample', () => {
  it('clips the predicted x₀ before the posterior mean (ADM clip_denoised)', () => {
    const clipped = new DdpmScheduler({ clipSample: 1 });
    const free = new DdpmScheduler();
    clipped.setTimesteps(10);
    free.setTimesteps(10);
    const t = clipped.timesteps[0];
    // An ε far off at the noisiest step: x₀ = √(1/ᾱ)·x − √(1/ᾱ − 1)·ε is huge unless clipped.
    const eps = Float32Array.of(-3);
    const a = Float32Array.of(0.5);
    const b = Float32Array.of(0.5);
    const meanA = new Float32Array(1);
    const meanB = new Float32Array(1);
    clipped.distribution(eps, t, a, meanA);
    free.distribution(eps, t, b, meanB);
    expect(Math.abs(meanB[0])).toBeGreaterThan(100 * Math.abs(meanA[0]));
    // With x₀ clipped to 1 the mean is c₁·1 + c₂·x: within the data range.
    expect(Math.abs(meanA[0])).toBeLessThan(1);
  });
});
