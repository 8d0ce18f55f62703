// Forecast accuracy, side by side in one run: seasonal naive, least-squares AR, AR-Net, AutoARIMA
// (npm arima) and the zero-shot chronos-corpus model, on held-out tails the models never saw:
//   * vega: three npm vega-datasets series (the last h points held out),
//   * corpus-fertility / corpus-other: the test tails of the chronos training corpus
//     (tools/bench/data/timeseries-heldout.json, written by `tools/models/run.sh chronos-heldout`).
// Per series MASE (of the point forecast, scaled by the in-sample seasonal-naive MAE of the whole
// train part), WQL over the levels 0.1..0.9 and CRPS scaled by Σ|y|; per group geometric and
// arithmetic means, and the mean ms per forecast (fit + forecast) of each method. The metrics are
// those of tools/models/nextx_models/ts_eval.py, whose Python figures for the model (model.json
// `eval`) are printed beside the TypeScript ones.
// Usage: npx tsx tools/bench/timeseries-accuracy.ts [--json out.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ARIMA from 'arima';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import {
  crpsFromSamples,
  crpsGaussian,
  forecastSeriesWithPaths,
  loadChronosForecaster,
  mae,
  seasonalNaiveForecast,
  seasonalNaiveScale,
  standardNormalQuantile,
  weightedQuantileLoss,
} from '@nextx/timeseries';
import { loadVegaColumn } from '@nextx/timeseries/testing';

const QUANTILE_LEVELS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/** Bootstrapped paths of the AR and AR-Net forecasts (their quantiles and CRPS come from them). */
const AR_PATHS = 200;
const SEED = 1;
const CHRONOS_MODEL = 'chronos-corpus';
/** Seasonal AutoARIMA needs 2·s + d values; a third season leaves some to fit the seasonal terms. */
const ARIMA_MIN_SEASONS = 3;

type SetName = 'vega' | 'corpus-fertility' | 'corpus-other';

interface BenchSeries {
  readonly set: SetName;
  readonly name: string;
  readonly season: number;
  readonly horizon: number;
  /** The train part the models read (corpus: its last 512 values). */
  readonly train: readonly number[];
  /** Length of the whole train part. */
  readonly trainLength: number;
  /** MASE denominator: in-sample seasonal-naive MAE of the whole train part. */
  readonly maseScale: number;
  readonly test: readonly number[];
}

/** What a method answers, in the form the scores need. */
interface Forecast {
  readonly point: ArrayLike<number>;
  /** One array per {@link QUANTILE_LEVELS} entry. */
  readonly quantiles: readonly ArrayLike<number>[];
  readonly crps: { crps: number; scaled: number };
}

interface Method {
  readonly name: string;
  readonly label: string;
  forecast(series: BenchSeries): Forecast | Promise<Forecast>;
}

interface Score {
  readonly mase: number;
  readonly wql: number;
  readonly crps: number;
  readonly crpsScaled: number;
  readonly ms: number;
}

type Outcome = Score | { readonly failed: string; readonly ms: number };

const { values: args } = parseArgs({ options: { json: { type: 'string' } } });

const VEGA = [
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

function vegaSeries(): BenchSeries[] {
  return VEGA.map((d) => {
    const values = loadVegaColumn(d.file, d.column);
    const train = values.slice(0, -d.horizon);
    return {
      set: 'vega',
      name: d.name,
      season: d.season,
      horizon: d.horizon,
      train,
      trainLength: train.length,
      maseScale: seasonalNaiveScale(train, d.season),
      test: values.slice(-d.horizon),
    };
  });
}

interface HeldoutFile {
  readonly series: readonly {
    set: 'corpus-fertility' | 'corpus-other';
    name: string;
    season: number;
    horizon: number;
    train_length: number;
    mase_scale: number;
    train: number[];
    test: number[];
  }[];
}

function corpusSeries(): BenchSeries[] {
  const file: HeldoutFile = JSON.parse(
    readFileSync(new URL('./data/timeseries-heldout.json', import.meta.url), 'utf8'),
  );
  return file.series.map((s) => {
    // Where the export holds the whole train part, its MASE scale must be the one computed here.
    if (s.train.length === s.train_length) {
      const scale = seasonalNaiveScale(s.train, s.season);
      if (Math.abs(scale - s.mase_scale) > 1e-9 * scale)
        throw new Error(`${s.name}: mase_scale ${s.mase_scale} in the export, ${scale} here`);
    }
    return {
      set: s.set,
      name: s.name,
      season: s.season,
      horizon: s.horizon,
      train: s.train,
      trainLength: s.train_length,
      maseScale: s.mase_scale,
      test: s.test,
    };
  });
}

/** A point forecast seen as a distribution with all its mass on the point. */
function degenerate(series: BenchSeries, point: ArrayLike<number>): Forecast {
  return {
    point,
    quantiles: QUANTILE_LEVELS.map(() => point),
    // The CRPS of a point mass is the absolute error: one path, no spread term.
    crps: crpsFromSamples(series.test, [point]),
  };
}

const seasonalNaive: Method = {
  name: 'seasonal-naive',
  label: 's-naive',
  forecast: (s) => degenerate(s, seasonalNaiveForecast(s.train, s.horizon, s.season)),
};

function autoregressive(method: 'ar' | 'arnet', label: string): Method {
  return {
    name: method,
    label,
    forecast(s) {
      const result = forecastSeriesWithPaths(s.train, {
        horizon: s.horizon,
        quantiles: QUANTILE_LEVELS,
        numPaths: AR_PATHS,
        model: { method, order: 0, seed: SEED, seasonLength: s.season },
      });
      // The point is the deterministic roll-out the service answers with, not the paths' median.
      return {
        point: result.point,
        quantiles: result.quantiles,
        crps: crpsFromSamples(s.test, result.paths),
      };
    },
  };
}

/** Messages the arima package's C code printed to stdout, with how often. */
const arimaMessages = new Map<string, number>();

/**
 * Runs `fn` with stdout captured: the package prints optimizer notes ("non-stationary AR part",
 * "Program Exiting as ...") straight to stdout, which would break the table. They are counted
 * and listed after it.
 */
function capturingArimaOutput<T>(fn: () => T): T {
  const write = process.stdout.write;
  let text = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    return fn();
  } finally {
    process.stdout.write = write;
    // Its printf calls end without a newline, so one line can hold several messages.
    for (const message of text.split(/\n|(?=Program Exiting)/).filter(Boolean))
      arimaMessages.set(message, (arimaMessages.get(message) ?? 0) + 1);
  }
}

/** Below the smallest normal double: no forecast of real data, only an uninitialised buffer. */
const isSubnormal = (x: number) => x !== 0 && Math.abs(x) < 2.2250738585072014e-308;

const autoArima: Method = {
  name: 'auto-arima',
  label: 'AutoARIMA',
  forecast(s) {
    const seasonal = s.season > 1 && s.train.length >= ARIMA_MIN_SEASONS * s.season;
    const model = new ARIMA({ auto: true, ...(seasonal ? { s: s.season } : {}), verbose: false });
    try {
      const [mean, variances] = capturingArimaOutput(() =>
        model.train([...s.train]).predict(s.horizon),
      );
      // Seen when its optimizer gave up ("Program Exiting as the function value exceeds ..."):
      // predict still answers, with a result buffer that was never written.
      if (mean.some(isSubnormal)) throw new Error('no forecast (subnormal values in its answer)');
      const std = variances.map(Math.sqrt);
      if (![...mean, ...std].every(Number.isFinite))
        throw new Error('non-finite forecast or variance');
      // Gaussian forecast errors with the variances the package reports.
      return {
        point: mean,
        quantiles: QUANTILE_LEVELS.map((q) => {
          const z = standardNormalQuantile(q);
          return mean.map((m, t) => m + z * std[t]);
        }),
        crps: crpsGaussian(s.test, mean, std),
      };
    } finally {
      model.destroy();
    }
  },
};

async function chronosMethod(repository: ModelRepository): Promise<Method> {
  const forecaster = await loadChronosForecaster(repository, CHRONOS_MODEL);
  return {
    name: 'chronos',
    label: 'Chronos',
    async forecast(s) {
      // Paths, temperature and top-k: the manifest's defaults, as in the Python eval.
      const result = await forecaster.forecast(s.train, {
        horizon: s.horizon,
        quantiles: QUANTILE_LEVELS,
        seed: SEED,
      });
      return {
        point: result.point,
        quantiles: result.quantiles,
        crps: crpsFromSamples(s.test, result.paths),
      };
    },
  };
}

function score(s: BenchSeries, forecast: Forecast, ms: number): Score {
  return {
    mase: mae(s.test, forecast.point) / s.maseScale,
    wql: weightedQuantileLoss(s.test, QUANTILE_LEVELS, forecast.quantiles),
    crps: forecast.crps.crps,
    crpsScaled: forecast.crps.scaled,
    ms,
  };
}

async function run(method: Method, s: BenchSeries): Promise<Outcome> {
  const started = performance.now();
  try {
    const forecast = await method.forecast(s);
    const result = score(s, forecast, performance.now() - started);
    if (![result.mase, result.wql, result.crpsScaled].every(Number.isFinite))
      throw new Error('non-finite score');
    return result;
  } catch (error) {
    return {
      failed: error instanceof Error ? error.message : String(error),
      ms: performance.now() - started,
    };
  }
}

const isScore = (o: Outcome): o is Score => !('failed' in o);

/** Geometric mean as ts_eval.gmean (values floored at 1e-12). */
const geometricMean = (v: readonly number[]) =>
  Math.exp(v.reduce((a, x) => a + Math.log(Math.max(x, 1e-12)), 0) / v.length);
const arithmeticMean = (v: readonly number[]) => v.reduce((a, x) => a + x, 0) / v.length;

const METRICS = [
  { key: 'mase', title: 'MASE', digits: 3, python: 'mase' },
  { key: 'wql', title: 'WQL (0.1..0.9)', digits: 4, python: 'wql' },
  { key: 'crpsScaled', title: 'CRPS / mean |y|', digits: 4, python: 'crps_scaled' },
] as const;

const GROUPS: { name: string; has: (set: SetName) => boolean }[] = [
  { name: 'vega', has: (set) => set === 'vega' },
  { name: 'corpus-fertility', has: (set) => set === 'corpus-fertility' },
  { name: 'corpus-other', has: (set) => set === 'corpus-other' },
  { name: 'corpus-all', has: (set) => set !== 'vega' },
  { name: 'all', has: () => true },
];

// ---------------------------------------------------------------- run

const benchStarted = performance.now();
const series = [...vegaSeries(), ...corpusSeries()];
const repository = new ModelRepository(referenceModelsDir(), {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
});
const methods: Method[] = [
  seasonalNaive,
  autoregressive('ar', 'AR'),
  autoregressive('arnet', 'AR-Net'),
  autoArima,
  await chronosMethod(repository),
];
const outcomes: Outcome[][] = [];
for (const [i, s] of series.entries()) {
  const row: Outcome[] = [];
  for (const method of methods) row.push(await run(method, s));
  outcomes.push(row);
  process.stderr.write(`\r${i + 1}/${series.length} series`);
}
process.stderr.write('\n');
await repository.close();
const benchSeconds = (performance.now() - benchStarted) / 1000;

type MetricKey = (typeof METRICS)[number]['key'];

/** Per group and method: the means of each metric over the series the method did not fail on. */
const summary = GROUPS.map((group) => {
  const rows = series.flatMap((s, i) => (group.has(s.set) ? [outcomes[i]] : []));
  return {
    group: group.name,
    series: rows.length,
    methods: methods.map((method, m) => {
      const scores = rows.map((r) => r[m]).filter(isScore);
      const means = {} as Record<MetricKey, { gmean: number; mean: number }>;
      for (const { key } of METRICS) {
        const v = scores.map((sc) => sc[key]);
        means[key] = { gmean: geometricMean(v), mean: arithmeticMean(v) };
      }
      return {
        method: method.name,
        scored: scores.length,
        failed: rows.length - scores.length,
        // Every attempt counts here, failed ones too: the time was spent.
        msPerForecast: arithmeticMean(rows.map((r) => r[m].ms)),
        means,
      };
    }),
  };
});

/** The Python figures for the model: group → `mase_gmean`, `wql_mean`, ... */
const pythonEval: { summary: Record<string, Record<string, number>>; seconds: number } = JSON.parse(
  readFileSync(join(referenceModelsDir(), CHRONOS_MODEL, 'model.json'), 'utf8'),
).eval;

// ---------------------------------------------------------------- print

const NAME_WIDTH = 38;
/** Width of the columns before the methods': set, series, train length, horizon. */
const LABEL_WIDTH = 5 + 1 + NAME_WIDTH + 1 + 5 + 1 + 3;
const CELL = 10;
const cell = (text: string) => text.padStart(CELL);
const SET_LABEL: Record<SetName, string> = {
  vega: 'vega',
  'corpus-fertility': 'fert',
  'corpus-other': 'other',
};
const methodHeader = methods.map((m) => cell(m.label)).join('');

console.log(
  `${series.length} series (vega ${series.filter((s) => s.set === 'vega').length}, corpus held-out tails ` +
    `${series.filter((s) => s.set !== 'vega').length}); n = train length, h = horizon; WQL over ` +
    `${QUANTILE_LEVELS.length} levels; AR / AR-Net ${AR_PATHS} bootstrapped paths, Chronos the ` +
    `manifest's sampling defaults; seed ${SEED}`,
);
for (const metric of METRICS) {
  const header =
    `${'set'.padEnd(5)} ${'series'.padEnd(NAME_WIDTH)} ${'n'.padStart(5)} ${'h'.padStart(3)}` +
    methodHeader;
  console.log(`\n${metric.title}\n${header}\n${'-'.repeat(header.length)}`);
  series.forEach((s, i) => {
    const values = outcomes[i].map((o) =>
      cell(isScore(o) ? o[metric.key].toFixed(metric.digits) : 'fail'),
    );
    console.log(
      `${SET_LABEL[s.set].padEnd(5)} ${s.name.slice(0, NAME_WIDTH).padEnd(NAME_WIDTH)} ` +
        `${String(s.trainLength).padStart(5)} ${String(s.horizon).padStart(3)}${values.join('')}`,
    );
  });
  console.log('-'.repeat(header.length) + cell('py chronos'));
  for (const g of summary) {
    for (const kind of ['gmean', 'mean'] as const) {
      const values = g.methods.map((m) =>
        cell(m.scored ? m.means[metric.key][kind].toFixed(metric.digits) : '-'),
      );
      const python = pythonEval.summary[g.group]?.[`${metric.python}_${kind}`];
      console.log(
        `${kind} ${g.group} (${g.series})`.padEnd(LABEL_WIDTH) +
          values.join('') +
          cell(python === undefined ? '-' : python.toFixed(metric.digits)),
      );
    }
  }
}
const timingHeader = 'ms per forecast (fit + forecast)'.padEnd(LABEL_WIDTH) + methodHeader;
console.log(`\n${timingHeader}\n${'-'.repeat(timingHeader.length)}`);
for (const g of summary) {
  console.log(
    `${g.group} (${g.series})`.padEnd(LABEL_WIDTH) +
      g.methods.map((m) => cell(m.msPerForecast.toFixed(1))).join(''),
  );
}
const failed = summary[summary.length - 1].methods.map((m) => cell(String(m.failed))).join('');
console.log('failed (left out of the means)'.padEnd(LABEL_WIDTH) + failed);
series.forEach((s, i) =>
  outcomes[i].forEach((o, m) => {
    if (!isScore(o)) console.log(`  ${methods[m].label} failed on ${s.name}: ${o.failed}`);
  }),
);
for (const [message, count] of arimaMessages)
  console.log(`  AutoARIMA (arima's C code) printed ${count}x: ${message}`);
console.log(
  `\npy chronos: models/${CHRONOS_MODEL}/model.json eval (Python, onnxruntime, numpy RNG; ` +
    `${pythonEval.seconds} s). Bench wall time ${benchSeconds.toFixed(1)} s.`,
);

if (args.json) {
  writeFileSync(
    args.json,
    JSON.stringify(
      {
        command: `npx tsx tools/bench/timeseries-accuracy.ts --json ${args.json}`,
        date: new Date().toISOString(),
        seconds: benchSeconds,
        settings: {
          quantileLevels: QUANTILE_LEVELS,
          arPaths: AR_PATHS,
          seed: SEED,
          chronosModel: CHRONOS_MODEL,
        },
        methods: methods.map((m) => m.name),
        series: series.map((s, i) => ({
          set: s.set,
          name: s.name,
          season: s.season,
          horizon: s.horizon,
          trainLength: s.trainLength,
          contextLength: s.train.length,
          scores: Object.fromEntries(methods.map((m, j) => [m.name, outcomes[i][j]])),
        })),
        summary,
        pythonChronosEval: pythonEval.summary,
      },
      null,
      1,
    ) + '\n',
  );
  console.log(`wrote ${args.json}`);
}
