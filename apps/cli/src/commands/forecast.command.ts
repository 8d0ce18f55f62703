import { readFile, writeFile } from 'node:fs/promises';
import { TypedGrpcClient } from '@nextx/grpc';
import { forecastPlotSvg, readSeriesCsv, writeCsv } from '@nextx/media';
import { PROTO_FILES, timeseries } from '@nextx/proto';
import { Command, Option } from 'commander';
import { DEFAULT_ADDRESSES, intOption, numberListOption, numberOption } from './options';
import { clientSecurity } from './security';

const METHODS = {
  auto: timeseries.Method.METHOD_AUTO,
  ar: timeseries.Method.METHOD_AR,
  arnet: timeseries.Method.METHOD_ARNET,
  chronos: timeseries.Method.METHOD_CHRONOS,
};

interface SeriesOptions {
  file: string;
  column: string;
  timeColumn?: string;
  frequency: string;
  season: number;
  method: keyof typeof METHODS;
  order: number;
  sparsity: number;
  hidden?: number[];
  epochs: number;
  pretrained: string;
  seed: number;
  addr: string;
  timeout: number;
}

/** Options shared by forecast and generate. */
function withSeriesOptions(command: Command): Command {
  return command
    .requiredOption('-f, --file <csv>', 'CSV file with a header row')
    .requiredOption('-c, --column <name>', 'numeric column to model')
    .option('-t, --time-column <name>', 'date column (forecast rows get dates)')
    .option('--frequency <label>', 'frequency label, e.g. MS for monthly', '')
    .option('--season <m>', 'seasonal period (MASE and order search)', intOption(0), 0)
    .addOption(
      new Option('-m, --method <method>', 'model').choices(Object.keys(METHODS)).default('auto'),
    )
    .option('-p, --order <p>', 'AR order; 0 = by AIC', intOption(0), 0)
    .option(
      '--sparsity <s>',
      'AR-Net expected share of non-zero lags (0 = off)',
      numberOption(0, 1),
      0,
    )
    .option('--hidden <sizes>', 'AR-Net hidden layer sizes, e.g. 32,16', numberListOption)
    .option('--epochs <n>', 'AR-Net epochs; 0 = automatic', intOption(0), 0)
    .option('--pretrained <name>', 'chronos: pretrained model (ListModels); default the first', '')
    .option('--seed <n>', 'seed for training and sample paths', intOption(0), 1)
    .option('--addr <host:port>', 'timeseries service address', DEFAULT_ADDRESSES.timeseries)
    .option('--timeout <ms>', 'call deadline in milliseconds', intOption(1), 120_000);
}

async function seriesRequest(options: SeriesOptions) {
  const csv = readSeriesCsv(
    await readFile(options.file, 'utf8'),
    options.column,
    options.timeColumn,
  );
  const series: timeseries.Series = {
    values: csv.values,
    timestampsMs: csv.timestampsMs,
    frequency: options.frequency,
    seasonLength: options.season,
  };
  // A pretrained forecaster fits nothing: no order or AR-Net settings go with it.
  const model: timeseries.ModelSpec =
    options.method === 'chronos'
      ? {
          method: METHODS.chronos,
          order: 0,
          chronos: { model: options.pretrained, temperature: 0, topK: 0, topP: 0 },
        }
      : {
          method: METHODS[options.method],
          order: options.order,
          arnet: {
            hiddenLayers: options.hidden ?? [],
            sparsity: options.sparsity,
            epochs: options.epochs,
            learningRate: 0,
            batchSize: 0,
          },
        };
  return { series, model, seed: options.seed };
}

function client(address: string) {
  return new TypedGrpcClient<timeseries.TimeSeriesClient>(
    address,
    PROTO_FILES.timeseries,
    `${timeseries.protobufPackage}.${timeseries.TIME_SERIES_SERVICE_NAME}`,
    {},
    clientSecurity(),
  );
}

/** `nextx forecast`: CSV in, forecast CSV (and optional SVG plot) out. */
export function forecastCommand(): Command {
  return withSeriesOptions(
    new Command('forecast').description('forecast a CSV column with the timeseries service'),
  )
    .requiredOption('-H, --horizon <h>', 'steps to forecast', intOption(1))
    .option('-q, --quantiles <levels>', 'quantile levels', numberListOption, [0.1, 0.5, 0.9])
    .option(
      '--paths <n>',
      'sample paths for the quantiles; 0 = the method default',
      intOption(0),
      0,
    )
    .option(
      '--holdout <n>',
      'hold the last n values out (n <= horizon) and print MASE, WQL and CRPS on them',
      intOption(0),
      0,
    )
    .requiredOption('-o, --out <csv>', 'output CSV')
    .option('--plot <svg>', 'also draw history, forecast and quantile band to this SVG')
    .action(
      async (
        options: SeriesOptions & {
          horizon: number;
          quantiles: number[];
          paths: number;
          holdout: number;
          out: string;
          plot?: string;
        },
      ) => {
        const { series: whole, model, seed } = await seriesRequest(options);
        const cut = whole.values.length - options.holdout;
        const series = options.holdout
          ? {
              ...whole,
              values: whole.values.slice(0, cut),
              timestampsMs: whole.timestampsMs.slice(0, cut),
            }
          : whole;
        const grpc = client(options.addr);
        try {
          const response = await grpc.unary(
            'forecast',
            {
              series,
              model,
              seed,
              horizon: options.horizon,
              quantiles: options.quantiles,
              numPaths: options.paths,
              holdout: options.holdout ? whole.values.slice(cut) : [],
            },
            { timeoutMs: options.timeout },
          );
          const columns: Record<string, ArrayLike<number | string>> = {
            step: response.point.map((_, i) => i + 1),
            ...(response.timestampsMs.length
              ? { time: response.timestampsMs.map((t) => new Date(t).toISOString()) }
              : {}),
            point: response.point,
            mean: response.mean,
            ...Object.fromEntries(response.quantiles.map((q) => [`q${q.level}`, q.values])),
          };
          await writeFile(options.out, writeCsv(columns));
          if (options.plot) {
            const sorted = [...response.quantiles].sort((a, b) => a.level - b.level);
            const band =
              sorted.length >= 2
                ? {
                    lower: sorted[0].values,
                    upper: sorted[sorted.length - 1].values,
                    label: `${sorted[0].level}–${sorted[sorted.length - 1].level} quantiles`,
                  }
                : undefined;
            const history = series.values.slice(-Math.max(4 * options.horizon, 48));
            await writeFile(
              options.plot,
              forecastPlotSvg({
                history,
                point: response.point,
                band,
                title: `${options.column}: ${options.horizon}-step forecast`,
              }),
            );
          }
          const m = response.model!;
          const fitted = m.pretrained
            ? `pretrained ${m.pretrained.name}@${m.pretrained.version}, context ${m.contextLength}`
            : `order ${m.order} fit ${m.fitMs.toFixed(0)} ms, in-sample MASE ${response.inSample!.mase.toFixed(3)}`;
          const h = response.holdoutScores;
          process.stdout.write(
            `method ${timeseries.Method[m.method]} ${fitted}, seed ${response.seed}\n` +
              (h
                ? `holdout ${h.points} values: MASE ${h.mase.toFixed(3)}, WQL ${h.wql.toFixed(4)}, CRPS ${h.crps.toPrecision(4)} (scaled ${h.crpsScaled.toFixed(4)})\n`
                : '') +
              `wrote ${options.out}${options.plot ? ` and ${options.plot}` : ''}\n`,
          );
        } finally {
          grpc.close();
        }
      },
    );
}

/** `nextx generate`: synthetic paths fitted to a CSV column. */
export function generateCommand(): Command {
  return withSeriesOptions(
    new Command('generate').description(
      'generate synthetic paths from a model fitted to a CSV column',
    ),
  )
    .requiredOption('-n, --length <n>', 'length of each path', intOption(1))
    .option('--paths <n>', 'number of paths', intOption(1), 1)
    .option('--continue', 'start after the last observation instead of a random window')
    .requiredOption('-o, --out <csv>', 'output CSV (one column per path)')
    .action(
      async (
        options: SeriesOptions & { length: number; paths: number; continue?: boolean; out: string },
      ) => {
        const { series, model, seed } = await seriesRequest(options);
        const grpc = client(options.addr);
        try {
          const response = await grpc.unary(
            'generate',
            {
              series,
              model,
              seed,
              length: options.length,
              numPaths: options.paths,
              continueSeries: !!options.continue,
            },
            { timeoutMs: options.timeout },
          );
          const columns = Object.fromEntries(
            response.paths.map((p, i) => [`path${i + 1}`, p.values]),
          );
          await writeFile(
            options.out,
            writeCsv({ step: response.paths[0].values.map((_, i) => i + 1), ...columns }),
          );
          process.stdout.write(
            `wrote ${response.paths.length} paths of ${options.length} to ${options.out} (seed ${response.seed})\n`,
          );
        } finally {
          grpc.close();
        }
      },
    );
}
