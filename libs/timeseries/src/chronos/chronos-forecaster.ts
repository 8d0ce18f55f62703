import { ContinuationGenerator, InvalidArgumentError, runToResult } from '@nextx/engine';
import {
  ContractError,
  FusedDecoder,
  OptimumDecoderStepModel,
  type FusionStats,
  type ModelRepository,
  type OnnxGraph,
} from '@nextx/runtime';
import { summarisePaths } from '../pipelines/simulate';
import { readChronosFacts, type ChronosModelFacts } from './chronos-manifest';
import { ChronosTokenizer } from './chronos-tokenizer';

/** One zero-shot forecast; sampling fields left out take the manifest's defaults. */
export interface ChronosForecastOptions {
  readonly horizon: number;
  readonly numPaths?: number;
  readonly quantiles: readonly number[];
  readonly seed: number;
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
}

/** Sample paths and what they say per step. */
export interface ChronosForecast {
  /** One path per row, `horizon` values each. */
  readonly paths: Float64Array[];
  /** Median over the paths (Chronos' point forecast). */
  readonly point: Float64Array;
  readonly mean: Float64Array;
  /** One array per requested level, in request order. */
  readonly quantiles: Float64Array[];
  /** Observations the model read (the series' last `contextLength` at most). */
  readonly contextLength: number;
}

/** How a {@link ChronosForecaster} runs its graph. */
export interface ChronosForecasterOptions {
  /**
   * Rows of the fused batch shared by concurrent forecasts (each takes `numPaths` rows; one
   * that does not fit waits for rows to free); 0 runs every forecast on its own.
   */
  readonly fusedRows: number;
}

/**
 * A Chronos-style zero-shot forecaster: the context (the last `contextLength` observations) is
 * scaled and binned by the {@link ChronosTokenizer}, the decoder reads it once, and the engine's
 * {@link ContinuationGenerator} draws `numPaths` continuations as one batch per step, which the
 * tokenizer turns back into values; the median and quantiles are taken over the paths
 * (`ChronosPipeline.predict` → `predict_quantiles`). Concurrent forecasts share one
 * {@link FusedDecoder}, so N requests cost one batched forward per step, not N.
 */
export class ChronosForecaster {
  readonly tokenizer: ChronosTokenizer;
  private readonly fused?: FusedDecoder;

  constructor(
    readonly name: string,
    readonly facts: ChronosModelFacts,
    private readonly graph: OnnxGraph,
    private readonly options: ChronosForecasterOptions,
  ) {
    this.tokenizer = new ChronosTokenizer(facts.tokenizer);
    if (options.fusedRows > 0) this.fused = new FusedDecoder(graph, this.dims(options.fusedRows));
  }

  /** How much batching the fused decoder did (undefined when forecasts run on their own). */
  get fusion(): FusionStats | undefined {
    return this.fused?.stats;
  }

  async forecast(
    values: ArrayLike<number>,
    options: ChronosForecastOptions,
    signal?: AbortSignal,
  ): Promise<ChronosForecast> {
    const { facts } = this;
    const numPaths = options.numPaths ?? facts.defaults.numPaths;
    if (options.horizon < 1 || options.horizon > facts.maxHorizon)
      throw new InvalidArgumentError(
        'horizon',
        `1 … ${facts.maxHorizon} for ${this.name}`,
        `got ${options.horizon}`,
      );
    const maxPaths = this.options.fusedRows || Number.MAX_SAFE_INTEGER;
    if (numPaths < 1 || numPaths > maxPaths)
      throw new InvalidArgumentError(
        'num_paths',
        `1 … ${maxPaths} for ${this.name}`,
        `got ${numPaths}`,
      );
    if (values.length < 1)
      throw new InvalidArgumentError('series.values', 'at least 1 value', 'got 0');
    const context = Array.prototype.slice.call(
      values,
      Math.max(0, values.length - facts.contextLength),
    ) as number[];
    const { tokens, loc, scale } = this.tokenizer.encode(context);
    const model =
      this.fused?.sharedPromptSequence() ??
      new OptimumDecoderStepModel(this.graph, {
        ...this.dims(numPaths),
        maxLength: context.length + options.horizon,
      });
    const decoder = {
      decode: async (drawn: { tokens: Int32Array; continuations: number; length: number }) =>
        Array.from({ length: drawn.continuations }, (_, r) =>
          Float64Array.from(drawn.tokens.subarray(r * drawn.length, (r + 1) * drawn.length), (t) =>
            this.tokenizer.decode(t, loc, scale),
          ),
        ),
    };
    const { media: paths } = await runToResult(
      new ContinuationGenerator(model, decoder).generate(
        {
          prompt: tokens,
          continuations: numPaths,
          length: options.horizon,
          sampling: {
            temperature: options.temperature ?? facts.defaults.temperature,
            topK: options.topK ?? facts.defaults.topK,
            topP: options.topP ?? facts.defaults.topP,
          },
          allowed: this.tokenizer.valueIds,
        },
        { seed: options.seed, signal },
      ),
    );
    // The median (Chronos' point forecast) is one more level of the same per-step sort.
    const { quantiles, mean } = summarisePaths(paths, [...options.quantiles, 0.5]);
    const point = quantiles.pop()!;
    return { paths, point, mean, quantiles, contextLength: context.length };
  }

  private dims(maxBatch: number) {
    const { heads, headDim, vocabSize, maxPositions } = this.facts;
    return { heads, headDim, vocabSize, maxLength: maxPositions, maxBatch };
  }
}

/** Loads a `chronos` model of the repository (session checked against its contract and warmed up). */
export async function loadChronosForecaster(
  repository: ModelRepository,
  name: string,
  options: ChronosForecasterOptions = { fusedRows: 0 },
): Promise<ChronosForecaster> {
  const loaded = await repository.load(name);
  const facts = readChronosFacts(loaded.manifest);
  if (!facts)
    throw new ContractError(
      `model ${name} is not a chronos forecaster (family ${loaded.manifest.family})`,
    );
  return new ChronosForecaster(name, facts, loaded.graph('decoder'), options);
}
