import { describe, expect, it } from 'vitest';
import type { SeriesMethod } from '../models/series-model';
import { forecastSeries } from './forecaster';

const sinusoid = (n: number, amplitude = 1, level = 0) =>
  Array.from({ length: n }, (_, i) => level + amplitude * Math.sin((2 * Math.PI * i) / 12));
const forecast = (values: number[], method: SeriesMethod, horizon: number, order = 0) =>
  forecastSeries(values, {
    horizon,
    quantiles: [0.1, 0.9],
    numPaths: 10,
    model: { method, order, seed: 1, seasonLength: 12 },
  });
const allFinite = (values: ArrayLike<number>) => Array.from(values).every(Number.isFinite);

describe('outputs stay finite', () => {
  it('a 60-point sinusoid forecast 10,000 steps ahead stays finite and bounded (explosive roots stabilised)', () => {
    for (const method of ['auto', 'ar', 'arnet'] as const) {
      for (const order of [0, 12]) {
        const result = forecast(sinusoid(60), method, 10_000, order);
        const label = `${method} order ${order}`;
        expect(allFinite(result.point), label).toBe(true);
        expect(allFinite(result.mean), label).toBe(true);
        result.quantiles.forEach((q) => expect(allFinite(q), label).toBe(true));
        expect(Math.max(...result.point.map(Math.abs)), label).toBeLessThan(10);
        // The near term still follows the sinusoid.
        expect(result.point[0], label).toBeCloseTo(Math.sin((2 * Math.PI * 60) / 12), 1);
      }
    }
  });

  it('AR-Net on values of 1e155 and more gives finite forecasts on their scale', () => {
    for (const level of [1e155, 1e300]) {
      const values = sinusoid(60, level / 10, level);
      const result = forecast(values, 'arnet', 12, 12);
      expect(allFinite(result.point)).toBe(true);
      expect(Math.abs(result.point[0] / level - 1)).toBeLessThan(0.5);
    }
  });
});
