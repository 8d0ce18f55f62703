import { Controller, Inject } from '@nestjs/common';
import { callSignal, check, type CancellableCall } from '@nextx/grpc';
import { type models, timeseries } from '@nextx/proto';
import type { GenerationService } from '@nextx/serving';
import { futureTimestamps, type FittedSeriesModel, type TimeSeriesTasks } from '@nextx/timeseries';
import { checkFitCost } from './fit-limits';
import { TimeSeriesModels } from './timeseries-models';
import { TIMESERIES_FITS, TIMESERIES_LIMITS } from './tokens';
import type { TimeSeriesLimits } from './config';
import {
  DEFAULT_PATHS,
  validateModelSpec,
  validateSeries,
  validateSimulationSize,
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
  };
}

/** gRPC `nextx.timeseries.v1.TimeSeries`: validates, fits, simulates, answers. */
@Controller()
@timeseries.TimeSeriesControllerMethods()
export class TimeSeriesController implements timeseries.TimeSeriesController {
  constructor(
    @Inject(TIMESERIES_LIMITS) private readonly limits: TimeSeriesLimits,
    @Inject(TIMESERIES_FITS) private readonly fits: GenerationService<TimeSeriesTasks>,
  ) {
    this.models = new TimeSeriesModels(limits);
  }

  private readonly models: TimeSeriesModels;

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
        options: { horizon, quantiles: request.quantiles, numPaths, model },
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
      timestampsMs: futureTimestamps(
        series.timestampsMs,
        series.frequency,
        series.timestampsMs.length ? horizon : 0,
      ),
      seed: model.seed,
    };
  }

  async generate(
    request: timeseries.GenerateRequest,
    _metadata?: unknown,
    call?: CancellableCall,
  ): Promise<timeseries.GenerateResponse> {
    const values = validateSeries(request.series, this.limits);
    const length = check.range('length', request.length, 1, this.limits.maxHorizon, true);
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
