import { describe, expect, it } from 'vitest';
import type { SeriesMethod } from '../models/series-model';
import { forecastSeries, generateSeries } from './forecaster';

const spec = (method: SeriesMethod) => ({ method, order: 0, seed: 1, seasonLength: 1 });
const forecast = (values: number[], method: SeriesMethod) =>
  forecastSeries(values, { horizon: 12, quantiles: [0.1, 0.9], numPaths: 20, model: spec(method) });

describe('degenerate series', () => {
  for (const method of ['auto', 'ar', 'arnet'] as const) {
    it(`${method}: a constant series forecasts that constant (and generates it)`, () => {
      for (const level of [0, 5, -3.25]) {
        const values = new Array<number>(20).fill(level);
        const result = forecast(values, method);
        for (const v of [
          ...result.point,
          ...result.mean,
          ...result.quantiles.flatMap((q) => [...q]),
        ])
          expect(v).toBeCloseTo(level, 6);
        const { paths } = generateSeries(values, {
          length: 10,
          numPaths: 2,
          continueSeries: true,
          model: spec(method),
        });
        for (const v of paths.flatMap((p) => [...p])) expect(v).toBeCloseTo(level, 6);
      }
    });

    it(`${method}: alternating and almost-constant series give finite forecasts`, () => {
      const alternating = Array.from({ length: 20 }, (_, i) => (i % 2 ? 1 : -1));
      const step = [...new Array<number>(19).fill(5), 6];
      for (const values of [alternating, step]) {
        const result = forecast(values, method);
        for (const v of [...result.point, ...result.mean]) expect(Number.isFinite(v)).toBe(true);
      }
      // An alternating series keeps alternating (AR-Net is only trained, so loosely).
      const point = forecast(alternating, method).point;
      expect(point[0]).toBeCloseTo(-1, method === 'arnet' ? 0 : 4);
      expect(point[1]).toBeCloseTo(1, method === 'arnet' ? 0 : 4);
    });
  }
});
