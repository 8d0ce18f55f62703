import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { createRng } from '../random/rng';
import { moments } from '../solvers/testing';
import { DdimScheduler } from './ddim-scheduler';
import { gaussianEpsilon } from './testing';

const MU = 1.5;
const SIGMA = 0.5;

function denoise(scheduler: DdimScheduler, start: Float32Array, seed?: number): Float32Array {
  const x = Float32Array.from(start);
  const eps = gaussianEpsilon(MU, SIGMA, scheduler.alphasCumprod);
  const rng = seed === undefined ? undefined : createRng(seed);
  for (const t of scheduler.timesteps) scheduler.step(eps(x, t), t, x, rng);
  return x;
}

describe('DdimScheduler', () => {
  it('with η = 0 is deterministic: same start noise, same tokens, with any seed or none', () => {
    const scheduler = new DdimScheduler();
    scheduler.setTimesteps(25);
    expect(scheduler.stochastic).toBe(false);
    const rng = createRng(9);
    const start = Float32Array.from({ length: 32 }, () => rng.normal());
    const a = denoise(scheduler, start);
    expect(denoise(scheduler, start, 1)).toEqual(a);
    expect(denoise(scheduler, start, 2)).toEqual(a);
  });

  it('with η = 0 maps noise monotonically onto the data quantiles: x ↦ μ + σ·x', () => {
    const scheduler = new DdimScheduler();
    scheduler.setTimesteps(200);
    const start = Float32Array.from([-2, -1, 0, 1, 2]);
    const out = denoise(scheduler, start);
    start.forEach((x, i) => expect(Math.abs(out[i] - (MU + SIGMA * x))).toBeLessThan(0.02));
  });

  it('with η > 0 draws noise: different seeds give different tokens', () => {
    const scheduler = new DdimScheduler({ eta: 0.5 });
    scheduler.setTimesteps(10);
    const start = new Float32Array(8);
    expect(denoise(scheduler, start, 1)).not.toEqual(denoise(scheduler, start, 2));
    expect(() => denoise(scheduler, start)).toThrow(InvalidArgumentError);
  });

  it('gets closer to σ with more steps (20 → 100)', () => {
    const rng = createRng(1);
    const start = Float32Array.from({ length: 20_000 }, () => rng.normal());
    const error = (steps: number) => {
      const scheduler = new DdimScheduler();
      scheduler.setTimesteps(steps);
      return Math.abs(moments(denoise(scheduler, start)).std - SIGMA);
    };
    expect(error(100)).toBeLessThan(error(20) / 3);
  });

  it('rejects a negative η', () => {
    expect(() => new DdimScheduler({ eta: -0.1 })).toThrow(InvalidArgumentError);
  });
});
