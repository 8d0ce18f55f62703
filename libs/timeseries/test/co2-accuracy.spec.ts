import { describe, expect, it } from 'vitest';
import { forecastSeries, mase, seasonalNaiveForecast } from '../src';
import { loadCo2 } from '../src/testing';

describe('forecast accuracy on the CO₂ series (last 24 months held out)', () => {
  const horizon = 24;
  const season = 12;
  const series = loadCo2();
  const train = series.slice(0, -horizon);
  const test = series.slice(-horizon);

  it('AR-Net and AR beat seasonal-naive by MASE', () => {
    const naive = mase(test, seasonalNaiveForecast(train, horizon, season), train, season);
    const scores: Record<string, number> = { 'seasonal-naive': naive };
    for (const method of ['arnet', 'ar'] as const) {
      const result = forecastSeries(train, {
        horizon,
        quantiles: [0.1, 0.9],
        numPaths: 100,
        model: { method, order: 0, seed: 1, seasonLength: season },
      });
      scores[method] = mase(test, result.point, train, season);
    }
    console.log(`CO2 holdout MASE (h=${horizon}, n=${train.length}):`, scores);
    expect(series.length).toBeGreaterThan(700);
    expect(scores.arnet).toBeLessThan(scores['seasonal-naive']);
    expect(scores.ar).toBeLessThan(scores['seasonal-naive']);
  });
});
