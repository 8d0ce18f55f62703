import {
  checkPositiveInteger,
  checkStepIndex,
  range,
  type Schedule,
  type StepPlan,
} from './schedule';

/** A step of {@link HorizonSchedule}: one forecast value. */
export interface HorizonStepPlan extends StepPlan {
  /** Chunk (one model call sequence of at most `predictionLength` values). */
  readonly chunk: number;
  /** Position of the value inside its chunk; also the decoder position. */
  readonly offsetInChunk: number;
  /** Values of this chunk: min(predictionLength, horizon − chunk·predictionLength). */
  readonly chunkLength: number;
  /**
   * Forecast values appended to the context before this chunk (chunk·predictionLength): at the
   * first step of a chunk the caller appends the previous chunk's median path, re-scales and
   * re-tokenises the context and starts a fresh decoder cache.
   */
  readonly appendedToContext: number;
  /** Whether this is the first step of its chunk (re-encode the context). */
  readonly startsChunk: boolean;
}

/** Options of {@link HorizonSchedule}. */
export interface HorizonScheduleOptions {
  /** Values to forecast h. */
  readonly horizon: number;
  /** Values the model forecasts per call (Chronos: 64). */
  readonly predictionLength: number;
}

/**
 * Chronos-style forecasting past the model's prediction length (`ChronosPipeline.predict`): the
 * horizon is cut into chunks of `predictionLength`; each chunk decodes one value per step
 * (causal), and the next chunk starts over on the context extended by the median forecast.
 */
export class HorizonSchedule implements Schedule<HorizonStepPlan> {
  readonly name = 'horizon';
  readonly totalSteps: number;
  readonly totalTokens: number;
  readonly predictionLength: number;
  /** Number of chunks ⌈h / predictionLength⌉. */
  readonly chunkCount: number;

  constructor(options: HorizonScheduleOptions) {
    checkPositiveInteger('horizon', options.horizon);
    checkPositiveInteger('prediction_length', options.predictionLength);
    this.totalSteps = options.horizon;
    this.totalTokens = options.horizon;
    this.predictionLength = options.predictionLength;
    this.chunkCount = Math.ceil(options.horizon / options.predictionLength);
  }

  stepAt(i: number): HorizonStepPlan {
    checkStepIndex(this, i);
    const chunk = Math.floor(i / this.predictionLength);
    const offsetInChunk = i % this.predictionLength;
    const appendedToContext = chunk * this.predictionLength;
    return {
      index: i,
      positions: range(i, i + 1),
      commits: true,
      attention: 'causal',
      inputStart: offsetInChunk,
      inputLength: 1,
      chunk,
      offsetInChunk,
      chunkLength: Math.min(this.predictionLength, this.totalTokens - appendedToContext),
      appendedToContext,
      startsChunk: offsetInChunk === 0,
    };
  }
}
