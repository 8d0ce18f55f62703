import { CachedLoader, type ModelRepository, type Task, type TaskHandlers } from '@nextx/runtime';
import {
  loadChronosForecaster,
  type ChronosForecast,
  type ChronosForecastOptions,
} from '../chronos/chronos-forecaster';
import { scoreHoldout, type HoldoutScores } from '../quality/holdout-scores';

/** A zero-shot forecast task (also Generate's paths: a forecast whose paths are the answer). */
export interface ChronosForecastTask {
  /** Model name in the repository (family `chronos`). */
  readonly model: string;
  readonly values: number[];
  readonly options: ChronosForecastOptions;
  /** Values that followed the series, to score the forecast on. */
  readonly holdout?: readonly number[];
  readonly seasonLength: number;
}

/** The tasks of a pretrained-forecaster worker, by kind. */
export interface ChronosTasks {
  readonly forecast: Task<
    ChronosForecastTask,
    never,
    ChronosForecast & { holdoutScores?: HoldoutScores }
  >;
}

/** Worker-side settings. */
export interface ChronosTaskOptions {
  /** Rows of each model's fused batch shared by concurrent forecasts (0 = no fusion). */
  readonly fusedRows: number;
}

/**
 * Zero-shot forecasts, in a generation worker that owns the sessions: each model is loaded once;
 * concurrent forecasts on it share one fused decoder (one batched forward per step).
 */
export function chronosTaskHandlers(
  repository: ModelRepository,
  options: ChronosTaskOptions,
): TaskHandlers<ChronosTasks> {
  const forecasters = new CachedLoader((name: string) =>
    loadChronosForecaster(repository, name, { fusedRows: options.fusedRows }),
  );
  return {
    async forecast(task, context) {
      const forecaster = await forecasters.get(task.model);
      const result = await forecaster.forecast(task.values, task.options, context.signal);
      const holdoutScores = task.holdout?.length
        ? scoreHoldout(task.holdout, result, task.values, task.seasonLength)
        : undefined;
      return { ...result, holdoutScores };
    },
  };
}
