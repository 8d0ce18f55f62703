import type { Task, TaskHandlers } from '@nextx/runtime';
import {
  forecastSeries,
  generateSeries,
  type ForecastOptions,
  type ForecastResult,
  type GenerateOptions,
} from '../pipelines/forecaster';
import type { FittedSeriesModel } from '../models/series-model';

/** A fitted model as it crosses the thread boundary (its predictor function stays behind). */
export type PortableFittedModel = Omit<FittedSeriesModel, 'predictor'>;

/** The tasks of a time-series fit worker, by kind (`model`: the method's name in ListModels, a metrics label). */
export interface TimeSeriesTasks {
  readonly forecast: Task<
    { model: string; values: number[]; options: ForecastOptions },
    never,
    Omit<ForecastResult, 'model'> & { model: PortableFittedModel }
  >;
  readonly generate: Task<
    { model: string; values: number[]; options: GenerateOptions },
    never,
    { paths: Float64Array[]; model: PortableFittedModel }
  >;
}

/** Fits and simulations, run in worker threads so a service's main thread keeps answering while AR-Net trains. */
export const timeSeriesTaskHandlers: TaskHandlers<TimeSeriesTasks> = {
  async forecast({ values, options }, context) {
    const { model, ...rest } = forecastSeries(values, options, context.cancelled);
    return { ...rest, model: portable(model) };
  },
  async generate({ values, options }, context) {
    const { model, paths } = generateSeries(values, options, context.cancelled);
    return { paths, model: portable(model) };
  },
};

function portable(model: FittedSeriesModel): PortableFittedModel {
  // A function cannot be structured-cloned to the main thread.
  const { predictor, ...rest } = model;
  void predictor;
  return rest;
}
