// Forecast accuracy on real series shipped in npm vega-datasets: the last h points are held
// out; MASE (scaled by the in-sample seasonal-naive error) for AR-Net, AR and seasonal-naive.
// Usage: npx tsx tools/bench/timeseries-accuracy.ts
import { forecastSeries, mase, seasonalNaiveForecast } from '@nextx/timeseries';
import { loadVegaColumn } from '@nextx/timeseries/testing';

const datasets = [
  {
    name: 'co2-concentration (monthly)',
    file: 'co2-concentration.csv',
    column: 'CO2',
    season: 12,
    horizon: 24,
  },
  { name: 'global-temp (yearly)', file: 'global-temp.csv', column: 'temp', season: 1, horizon: 10 },
  {
    name: 'seattle temp_max (daily)',
    file: 'seattle-weather.csv',
    column: 'temp_max',
    season: 7,
    horizon: 28,
  },
];

console.log(
  'dataset                       |    n |  h | arnet MASE |  ar MASE | seasonal-naive MASE',
);
for (const d of datasets) {
  const series = loadVegaColumn(d.file, d.column);
  const train = series.slice(0, -d.horizon);
  const test = series.slice(-d.horizon);
  const score = (method: 'arnet' | 'ar') =>
    mase(
      test,
      forecastSeries(train, {
        horizon: d.horizon,
        quantiles: [],
        numPaths: 1,
        model: { method, order: 0, seed: 1, seasonLength: d.season },
      }).point,
      train,
      d.season,
    );
  const naive = mase(test, seasonalNaiveForecast(train, d.horizon, d.season), train, d.season);
  console.log(
    `${d.name.padEnd(29)} | ${String(series.length).padStart(4)} | ${String(d.horizon).padStart(2)} | ${score('arnet').toFixed(3).padStart(10)} | ${score('ar').toFixed(3).padStart(8)} | ${naive.toFixed(3).padStart(19)}`,
  );
}
