import { describe, expect, it } from 'vitest';
import { simulateAr } from '../testing/simulate-ar';
import { forecastSeries, forecastSeriesWithPaths, type ForecastOptions } from './forecaster';
import { summarisePaths } from './simulate';

describe('forecastSeriesWithPaths', () => {
  const values = simulateAr([0.6, -0.2], 300, 7, 1);
  const options: ForecastOptions = {
    horizon: 12,
    quantiles: [0.1, 0.5, 0.9],
    numPaths: 50,
    model: { method: 'ar', order: 0, seed: 1, seasonLength: 1 },
  };

  it('returns the paths its quantiles and mean summarise, and otherwise what forecastSeries returns', () => {
    const withPaths = forecastSeriesWithPaths(values, options);
    expect(withPaths.paths).toHaveLength(50);
    withPaths.paths.forEach((path) => expect(path).toHaveLength(12));
    const summary = summarisePaths(withPaths.paths, options.quantiles);
    expect(withPaths.quantiles).toEqual(summary.quantiles);
    expect(withPaths.mean).toEqual(summary.mean);
    const plain = forecastSeries(values, options);
    expect(plain).not.toHaveProperty('paths');
    expect(plain.point).toEqual(withPaths.point);
    expect(plain.quantiles).toEqual(withPaths.quantiles);
  });
});
