import { ContractError, type ModelManifest } from '@nextx/runtime';
import { z } from 'zod';

/** The manifest `family` of a Chronos-style forecaster. */
export const CHRONOS_FAMILY = 'chronos';

const tokenizerSchema = z.object({
  pad_token_id: z.number().int().nonnegative(),
  eos_token_id: z.number().int().nonnegative(),
  n_special_tokens: z.number().int().nonnegative(),
  n_bins: z.number().int().min(2),
  vocab_size: z.number().int().positive(),
  low_limit: z.number(),
  high_limit: z.number(),
});

const chronosSchema = z.object({
  tokenizer: tokenizerSchema,
  context_length: z.number().int().positive(),
  max_horizon: z.number().int().positive(),
  defaults: z.object({
    num_paths: z.number().int().positive(),
    temperature: z.number().positive(),
    top_k: z.number().int().nonnegative(),
    top_p: z.number().positive().max(1),
    quantiles: z.array(z.number().gt(0).lt(1)),
  }),
  contract: z.object({
    graphs: z.object({
      decoder: z.object({
        num_heads: z.number().int().positive(),
        head_dim: z.number().int().positive(),
        vocab_size: z.number().int().positive(),
        max_positions: z.number().int().positive(),
      }),
    }),
  }),
});

/** Chronos' value tokenizer settings (`MeanScaleUniformBins`, here with a location). */
export interface ChronosTokenizerConfig {
  readonly padTokenId: number;
  readonly eosTokenId: number;
  readonly specialTokens: number;
  readonly bins: number;
  readonly lowLimit: number;
  readonly highLimit: number;
}

/** What a Chronos model's manifest says about requests to it, read without loading it. */
export interface ChronosModelFacts {
  readonly tokenizer: ChronosTokenizerConfig;
  /** Most observations the model reads; a longer series is cut to its last `contextLength`. */
  readonly contextLength: number;
  readonly maxHorizon: number;
  /** Positions the decoder has (context + horizon must fit). */
  readonly maxPositions: number;
  readonly vocabSize: number;
  readonly heads: number;
  readonly headDim: number;
  readonly defaults: {
    readonly numPaths: number;
    readonly temperature: number;
    readonly topK: number;
    readonly topP: number;
    readonly quantiles: readonly number[];
  };
}

/** The facts of a `chronos` manifest; `undefined` for other families; ContractError when malformed. */
export function readChronosFacts(manifest: ModelManifest): ChronosModelFacts | undefined {
  if (manifest.family !== CHRONOS_FAMILY) return undefined;
  const parsed = chronosSchema.safeParse(manifest);
  if (!parsed.success)
    throw new ContractError(
      `model ${manifest.name}: chronos manifest: ${parsed.error.issues
        .map((i) => `${i.path.join('.')} ${i.message}`)
        .join('; ')}`,
    );
  const m = parsed.data;
  const decoder = m.contract.graphs.decoder;
  const t = m.tokenizer;
  if (t.vocab_size !== t.n_bins + t.n_special_tokens || decoder.vocab_size !== t.vocab_size)
    throw new ContractError(
      `model ${manifest.name}: vocab ${decoder.vocab_size} is not ${t.n_special_tokens} special ids + ${t.n_bins} bins`,
    );
  if (m.context_length + m.max_horizon > decoder.max_positions)
    throw new ContractError(
      `model ${manifest.name}: context ${m.context_length} + horizon ${m.max_horizon} > ${decoder.max_positions} positions`,
    );
  return {
    tokenizer: {
      padTokenId: t.pad_token_id,
      eosTokenId: t.eos_token_id,
      specialTokens: t.n_special_tokens,
      bins: t.n_bins,
      lowLimit: t.low_limit,
      highLimit: t.high_limit,
    },
    contextLength: m.context_length,
    maxHorizon: m.max_horizon,
    maxPositions: decoder.max_positions,
    vocabSize: decoder.vocab_size,
    heads: decoder.num_heads,
    headDim: decoder.head_dim,
    defaults: {
      numPaths: m.defaults.num_paths,
      temperature: m.defaults.temperature,
      topK: m.defaults.top_k,
      topP: m.defaults.top_p,
      quantiles: m.defaults.quantiles,
    },
  };
}
