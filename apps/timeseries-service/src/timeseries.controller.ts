import { Controller, Inject } from '@nestjs/common';
import { callSignal, check, type CancellableCall } from '@nextx/grpc';
import { type models, timeseries } from '@nextx/proto';
import type { GenerationService } from '@nextx/serving';
import {
  futureTimestamps,
  type ChronosCatalog,
  type ChronosForecast,
  type ChronosTasks,
  type FittedSeriesModel,
  type HoldoutScores,
  type TimeSeriesTasks,
} from '@nextx/timeseries';
import { InvalidArgumentError } from '@nextx/engine';
import { checkFitCost } from './fit-limits';
import { TimeSeriesModels } from './timeseries-models';
import {
  TIMESERIES_CHRONOS,
  TIMESERIES_CHRONOS_CATALOG,
  TIMESERIES_CHRONOS_SETTINGS,
  TIMESERIES_FITS,
  TIMESERIES_LIMITS,
} from './tokens';
import type { ChronosSettings, TimeSeriesLimits } from './config';
import {
  DEFAULT_PATHS,
  validateChronosSpec,
  validateHoldout,
  validateModelSpec,
  validateSeries,
  validateSimulationSize,
  type ChronosRequest,
} from './request-validation';

const METHOD_NAMES = {
  ar: timeseries.Method.METHOD_AR,
  arnet: timeseries.Method.METHOD_ARNET,
} as const;

function fittedModel(model: Omit<FittedSeriesModel, 'predictor'>): timeseries.FittedModel {
  return {
    method: METHOD_NAMES[model.method],
    order: model.order,
    coefficients: model.coefficients ? Array.from(model.coefficients) : [],
    intercept: model.intercept,
    residualStd: model.residualStd,
    fitMs: model.fitMs,
    epochs: model.epochs,
    contextLength: 0,
  };
}

function chronosModel(
  request: ChronosRequest,
  result: Pick<ChronosForecast, 'contextLength'>,
): timeseries.FittedModel {
  const { manifest } = request.entry;
  return {
    method: timeseries.Method.METHOD_CHRONOS,
    order: 0,
    coefficients: [],
    intercept: 0,
    residualStd: 0,
    fitMs: 0,
    epochs: 0,
    pretrained: { name: manifest.name, version: manifest.version },
    contextLength: result.contextLength,
  };
}

function holdoutMessage(scores: HoldoutScores | undefined): timeseries.HoldoutScores | undefined {
  return scores && { ...scores };
}

/**
 * gRPC `nextx.timeseries.v1.TimeSeries`: validates, then fits and simulates (AR, AR-Net) or
 * samples a pretrained forecaster (METHOD_CHRONOS), answers.
 */
@Controller()
@timeseries.TimeSeriesControllerMethods()
export class TimeSeriesController implements timeseries.TimeSeriesController {
  constructor(
    @Inject(TIMESERIES_LIMITS) private readonly limits: TimeSeriesLimits,
    @Inject(TIMESERIES_FITS) private readonly fits: GenerationService<TimeSeriesTasks>,
    @Inject(TIMESERIES_CHRONOS) private readonly pretrained: GenerationService<ChronosTasks>,
    @Inject(TIMESERIES_CHRONOS_CATALOG) private readonly catalog: ChronosCatalog,
    @Inject(TIMESERIES_CHRONOS_SETTINGS) private readonly chronosSettings: ChronosSettings,
  ) {
    this.models = new TimeSeriesModels(limits, catalog, this.pretrainedMaxPaths());
  }

  private readonly models: TimeSeriesModels;

  /** Runs a pretrained forecast of `steps` steps after `values`, with the request's limits. */
  private async runChronos(
    fields: { steps: string; paths: string },
    spec: timeseries.ModelSpec,
    values: number[],
    steps: number,
    requested: { numPaths: number; seed: number; quantiles: readonly number[] },
    extra: { holdout?: number[]; seasonLength: number; call?: CancellableCall },
  ): Promise<{
    chronos: ChronosRequest;
    result: ChronosForecast & { holdoutScores?: HoldoutScores };
  }> {
    const chronos = validateChronosSpec(spec, requested.seed, this.catalog);
    const { facts, manifest } = chronos.entry;
    check.range(fields.steps, steps, 1, facts.maxHorizon, true);
    const numPaths = check.range(
      fields.paths,
      requested.numPaths || facts.defaults.numPaths,
      1,
      this.pretrainedMaxPaths(),
      true,
    );
    const result = await this.pretrained.run(
      'forecast',
      {
        model: manifest.name,
        values,
        options: {
          horizon: steps,
          numPaths,
          quantiles: requested.quantiles,
          seed: chronos.seed,
          temperature: chronos.temperature,
          topK: chronos.topK,
          topP: chronos.topP,
        },
        holdout: extra.holdout,
        seasonLength: extra.seasonLength,
      },
      { signal: callSignal(extra.call) },
    );
    return { chronos, result };
  }

  /** Most paths of one pretrained forecast: the service limit, and one fused batch at most. */
  private pretrainedMaxPaths(): number {
    const rows = this.chronosSettings.fusedRows;
    return rows > 0 ? Math.min(this.limits.maxPaths, rows) : this.limits.maxPaths;
  }

  async forecast(
    request: timeseries.ForecastRequest,
    _metadata?: unknown,
    call?: CancellableCall,
  ): Promise<timeseries.ForecastResponse> {
    const values = validateSeries(request.series, this.limits);
    const series = request.series!;
    const horizon = check.range('horizon', request.horizon, 1, this.limits.maxHorizon, true);
    check.length('quantiles', request.quantiles, 0, 99);
    request.quantiles.forEach((q, i) => check.openRange(`quantiles[${i}]`, q, 0, 1));
    const holdout = validateHoldout(request.holdout, horizon);
    const timestampsMs = futureTimestamps(
      series.timestampsMs,
      series.frequency,
      series.timestampsMs.length ? horizon : 0,
    );
    if (request.model?.method === timeseries.Method.METHOD_CHRONOS) {
      const { chronos, result } = await this.runChronos(
        { steps: 'horizon', paths: 'num_paths' },
        request.model,
        values,
        horizon,
        request,
        { holdout, seasonLength: series.seasonLength, call },
      );
      return {
        point: Array.from(result.point),
        mean: Array.from(result.mean),
        quantiles: request.quantiles.map((level, q) => ({
          level,
          values: Array.from(result.quantiles[q]),
        })),
        model: chronosModel(chronos, result),
        timestampsMs,
        seed: chronos.seed,
        holdoutScores: holdoutMessage(result.holdoutScores),
      };
    }
    const numPaths = check.range(
      'num_paths',
      request.numPaths || DEFAULT_PATHS,
      1,
      this.limits.maxPaths,
      true,
    );
    validateSimulationSize('horizon', horizon, numPaths, this.limits);
    const model = validateModelSpec(request.model, request.seed, series, this.limits);
    checkFitCost(values.length, model, this.limits);

    const result = await this.fits.run(
      'forecast',
      {
        model: model.method,
        values,
        options: { horizon, quantiles: request.quantiles, numPaths, model, holdout },
      },
      { signal: callSignal(call) },
    );
    return {
      point: Array.from(result.point),
      mean: Array.from(result.mean),
      quantiles: request.quantiles.map((level, q) => ({
        level,
        values: Array.from(result.quantiles[q]),
      })),
      model: fittedModel(result.model),
      inSample: result.inSample,
      timestampsMs,
      seed: model.seed,
      holdoutScores: holdoutMessage(result.holdoutScores),
    };
  }

  async generate(
    request: timeseries.GenerateRequest,
    _metadata?: unknown,
    call?: CancellableCall,
  ): Promise<timeseries.GenerateResponse> {
    const values = validateSeries(request.series, this.limits);
    const length = check.range('length', request.length, 1, this.limits.maxHorizon, true);
    if (request.model?.method === timeseries.Method.METHOD_CHRONOS) {
      if (!request.continueSeries)
        throw new InvalidArgumentError(
          'continue_series',
          'true for METHOD_CHRONOS (a zero-shot model continues its context)',
          'false',
        );
      const { chronos, result } = await this.runChronos(
        { steps: 'length', paths: 'num_paths' },
        request.model,
        values,
        length,
        { numPaths: request.numPaths, seed: request.seed, quantiles: [] },
        { seasonLength: request.series!.seasonLength, call },
      );
      return {
        paths: result.paths.map((path) => ({ values: Array.from(path) })),
        model: chronosModel(chronos, result),
        seed: chronos.seed,
      };
    }
    const numPaths = check.range('num_paths', request.numPaths || 1, 1, this.limits.maxPaths, true);
    validateSimulationSize('length', length, numPaths, this.limits);
    const model = validateModelSpec(request.model, request.seed, request.series!, this.limits);
    checkFitCost(values.length, model, this.limits);

    const result = await this.fits.run(
      'generate',
      {
        model: model.method,
        values,
        options: { length, numPaths, continueSeries: request.continueSeries, model },
      },
      { signal: callSignal(call) },
    );
    return {
      paths: result.paths.map((path) => ({ values: Array.from(path) })),
      model: fittedModel(result.model),
      seed: model.seed,
    };
  }

  listModels(): models.ListModelsResponse {
    return { models: this.models.list() };
  }

  getModel(request: models.GetModelRequest): models.GetModelResponse {
    check.modelRef('model', request.model);
    return { model: this.models.get(request.model?.name ?? '', request.model?.version) };
  }
}
