import { readFile } from 'node:fs/promises';
import {
  InvalidArgumentError,
  RasterGenerator,
  type RasterTokenLayout,
  type TokenStepModel,
} from '@nextx/engine';
import { OnnxCodeDecoder, type ImageBatch } from '../models/code-decoder';
import { findDraft, findDraftHeads, speculativeSettings } from '../models/companion-models';
import { imageFacts } from '../models/image-manifest';
import {
  FusedDecoder,
  OptimumDecoderStepModel,
  OptimumDraftHeadStepModel,
  type DecoderDims,
  type LoadedModel,
  type ModelRepository,
} from '@nextx/runtime';

/** Default sampling of a raster model, from its `model.json`. */
export interface RasterDefaults {
  readonly guidanceScale: number;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
}

/** Everything needed to generate with one raster (LlamaGen-style) model. */
export interface RasterPipeline {
  readonly model: LoadedModel;
  readonly layout: RasterTokenLayout;
  readonly dims: DecoderDims;
  readonly defaults: RasterDefaults;
  readonly decoder: OnnxCodeDecoder;
  /** Name of the draft model in the same repository (see {@link findDraft}). */
  readonly draftName?: string;
  /** Speculative settings (`defaults.speculative` of the target over the draft's). */
  readonly speculative: { draftTokens: number; lanternK: number; lanternDelta: number };
  /** LANTERN neighbour table file, relative to the model folder. */
  readonly neighboursFile?: string;
  /** A generator over its own (unfused) step model. */
  generator(stepModel?: TokenStepModel): RasterGenerator<ImageBatch>;
  /** A private step model (batch up to `maxBatch`, default `dims.maxBatch`). */
  stepModel(maxBatch?: number): OptimumDecoderStepModel;
  /** A shared decoder that fuses concurrent generations into one batch per step. */
  fused(): FusedDecoder;
}

/** Most draft tokens per speculative round (sizes the KV caches). */
export const MAX_DRAFT_TOKENS = 8;

/**
 * Window of Speculative Jacobi decoding (draft tokens verified per forward). 8 was the fastest
 * of 4, 8 and 16 on llama-mnist (tools/bench/raster-self-speculative.ts); the window never reaches past the
 * image, so it needs no cache room beyond the image tokens.
 */
export const JACOBI_WINDOW = 8;

interface HfConfig {
  num_attention_heads: number;
  head_dim?: number;
  hidden_size: number;
  vocab_size: number;
  max_position_embeddings: number;
}

/**
 * Builds a raster pipeline from the manifest: token layout (`contract.token_layout`), decoder
 * dims (the Hugging Face `config.json` next to it), defaults, the LM graph and the VQ decoder
 * graph (`decoderFrom` lets a draft model reuse its target's decoder).
 */
export async function loadRasterPipeline(
  repository: ModelRepository,
  name: string,
  options: { maxBatch: number; decoderFrom?: LoadedModel },
): Promise<RasterPipeline> {
  const model = await repository.load(name);
  const contract = model.manifest.contract as unknown as {
    token_layout: {
      codebook_size: number;
      code_token_offset: number;
      class_token_offset: number;
      null_class_token: number;
      image_tokens: number;
    };
  };
  const t = contract.token_layout;
  const config = JSON.parse(await readFile(model.file('config.json'), 'utf8')) as HfConfig;
  const dims: DecoderDims = {
    heads: config.num_attention_heads,
    headDim: config.head_dim ?? config.hidden_size / config.num_attention_heads,
    vocabSize: config.vocab_size,
    // Room for the prefix, every image token and a speculative round's drafts.
    maxLength: Math.min(config.max_position_embeddings, t.image_tokens + 1 + MAX_DRAFT_TOKENS),
    maxBatch: options.maxBatch,
  };
  const layout: RasterTokenLayout = {
    tokensPerImage: t.image_tokens,
    codeOffset: t.code_token_offset,
    codebookSize: t.codebook_size,
    classToken: (c) => t.class_token_offset + c,
    nullClassToken: t.null_class_token,
  };
  const d = imageFacts(model).defaults;
  const defaults: RasterDefaults = {
    guidanceScale: d.guidanceScale,
    temperature: d.temperature,
    topK: d.topK,
    topP: d.topP,
  };
  const decoder = new OnnxCodeDecoder(
    (options.decoderFrom ?? model).graph('decoder'),
    t.image_tokens,
  );
  const lm = model.graph('decoder_lm');
  const stepModel = (maxBatch = dims.maxBatch) =>
    new OptimumDecoderStepModel(lm, { ...dims, maxBatch });
  const manifests = await repository.list();
  const draft = findDraft(manifests, model.manifest);
  const spec = speculativeSettings(model.manifest, draft);
  const neighbours = (model.manifest.contract as Record<string, unknown>)['lantern_neighbours'] as
    { file?: string } | undefined;
  return {
    model,
    layout,
    dims,
    defaults,
    decoder,
    draftName: draft?.name,
    speculative: {
      draftTokens: Math.min(spec.draft_tokens ?? 4, MAX_DRAFT_TOKENS),
      lanternK: spec.lantern_k ?? 8,
      lanternDelta: spec.lantern_delta ?? 0.1,
    },
    neighboursFile: typeof neighbours === 'object' ? neighbours.file : undefined,
    stepModel,
    generator: (step = stepModel()) => new RasterGenerator(step, layout, decoder),
    fused: () => new FusedDecoder(lm, dims),
  };
}

/** A raster model's graph with draft heads, served as that model (same weights, same law). */
export interface DraftHeads {
  /** Name of the model folder that carries the graph (its manifest says `draft_heads_for`). */
  readonly name: string;
  /** Draft tokens per round (the manifest's `defaults.speculative.draft_tokens`, ≤ heads). */
  readonly draftTokens: number;
  /** A private step model over the graph with heads (batch up to `maxBatch`). */
  stepModel(maxBatch: number): OptimumDraftHeadStepModel;
}

/**
 * Loads the draft-heads graph of `pipeline`'s model: the model whose manifest says
 * `draft_heads_for` it, with `contract.draft_heads.count` heads. Its graph runs with the target's
 * dims, so the KV cache has the same shape and room.
 */
export async function loadDraftHeads(
  repository: ModelRepository,
  pipeline: RasterPipeline,
): Promise<DraftHeads> {
  const target = pipeline.model.manifest.name;
  const manifest = findDraftHeads(await repository.list(), target);
  if (!manifest)
    throw new InvalidArgumentError(
      'draft_heads',
      'raster models that ship draft heads',
      `model ${target} has no draft heads`,
    );
  const model = await repository.load(manifest.name);
  const count = (model.manifest.contract as { draft_heads?: { count?: unknown } }).draft_heads
    ?.count;
  if (!Number.isInteger(count) || (count as number) < 1)
    throw new Error(`${manifest.name}: contract.draft_heads.count must be an integer >= 1`);
  const heads = count as number;
  const spec = ((model.manifest.defaults as Record<string, unknown> | undefined)?.['speculative'] ??
    {}) as Record<string, number>;
  const graph = model.graph('decoder_lm');
  return {
    name: manifest.name,
    draftTokens: Math.min(spec['draft_tokens'] ?? heads, heads, MAX_DRAFT_TOKENS),
    stepModel: (maxBatch) =>
      new OptimumDraftHeadStepModel(graph, { ...pipeline.dims, maxBatch }, heads),
  };
}
