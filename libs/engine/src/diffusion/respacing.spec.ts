import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { alphasCumprod, cosineBetas } from './beta-schedules';
import { respace, roundHalfEven, spaceTimesteps } from './respacing';

describe('spaceTimesteps (ADM space_timesteps, one section)', () => {
  it('keeps round(i·999/99) for 100 of 1000 steps', () => {
    const kept = spaceTimesteps(1000, 100);
    expect(kept.length).toBe(100);
    expect(Array.from(kept.subarray(0, 8))).toEqual([0, 10, 20, 30, 40, 50, 61, 71]);
    expect(kept[99]).toBe(999);
  });

  it('keeps every step when n = T and one step (t = 0) when n = 1', () => {
    expect(Array.from(spaceTimesteps(10, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(spaceTimesteps(10, 1))).toEqual([0]);
  });

  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
    // stride 999/4 = 249.75: 499.5 rounds to 500, 749.25 to 749.
    expect(Array.from(spaceTimesteps(1000, 5))).toEqual([0, 250, 500, 749, 999]);
  });

  it('rejects more steps than the training schedule has', () => {
    expect(() => spaceTimesteps(10, 11)).toThrow(InvalidArgumentError);
  });
});

describe('respace', () => {
  it('rebuilds betas so that the respaced ᾱ equal the original ᾱ at the kept steps', () => {
    const alphaBar = alphasCumprod(cosineBetas(1000));
    const tables = respace(alphaBar, spaceTimesteps(1000, 25));
    let product = 1;
    tables.betas.forEach((beta, k) => {
      product *= 1 - beta;
      expect(product).toBeCloseTo(alphaBar[tables.timestepMap[k]], 12);
      expect(tables.alphasCumprodPrev[k]).toBe(k === 0 ? 1 : tables.alphasCumprod[k - 1]);
    });
  });
});
