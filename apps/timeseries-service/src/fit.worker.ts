import { serveTasks } from '@nextx/runtime/workers';
import {
  forecastSeries,
  generateSeries,
  type ForecastOptions,
  type GenerateOptions,
} from '@nextx/timeseries';

/** Fits and simulations run here, so the service's main thread keeps answering while AR-Net trains. */
serveTasks({
  async forecast({ values, options }: { values: number[]; options: ForecastOptions }) {
    const { model, ...rest } = forecastSeries(values, options);
    return { ...rest, model: { ...model, predictor: undefined } };
  },
  async generate({ values, options }: { values: number[]; options: GenerateOptions }) {
    const { model, paths } = generateSeries(values, options);
    return { paths, model: { ...model, predictor: undefined } };
  },
});
