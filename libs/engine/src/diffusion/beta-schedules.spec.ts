import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { alphasCumprod, betaSchedule, cosineBetas, linearBetas } from './beta-schedules';

describe('beta schedules', () => {
  it('linear: 1e-4 … 0.02 for T = 1000, scaled by 1000/T otherwise', () => {
    const betas = linearBetas(1000);
    expect(betas[0]).toBeCloseTo(1e-4, 15);
    expect(betas[999]).toBeCloseTo(0.02, 15);
    expect(linearBetas(500)[0]).toBeCloseTo(2e-4, 15);
  });

  it('cosine: ᾱ follows cos²((t + 0.008)/1.008·π/2) and the last β is clipped to 0.999', () => {
    const betas = cosineBetas(1000);
    const alphaBar = alphasCumprod(betas);
    const f = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    expect(alphaBar[499]).toBeCloseTo(f(0.5) / f(0), 10);
    expect(betas[999]).toBe(0.999);
    for (const beta of betas) expect(beta).toBeLessThanOrEqual(0.999);
  });

  it('ᾱ decreases from just below 1 to near 0 for both schedules', () => {
    for (const name of ['linear', 'cosine'] as const) {
      const alphaBar = alphasCumprod(betaSchedule(name, 1000));
      expect(alphaBar[0]).toBeLessThan(1);
      expect(alphaBar[0]).toBeGreaterThan(0.999);
      expect(alphaBar[999]).toBeLessThan(1e-4);
      for (let i = 1; i < alphaBar.length; i++) expect(alphaBar[i]).toBeLessThan(alphaBar[i - 1]);
    }
  });

  it('rejects unknown names and bad step counts', () => {
    expect(() => betaSchedule('sigmoid' as 'linear', 10)).toThrow(InvalidArgumentError);
    expect(() => linearBetas(0)).toThrow(InvalidArgumentError);
  });
});
