import { NextScaleGenerator, ScaleFusion, type ScaleFusionMember } from '@nextx/engine';
import type { ImageBatch } from '../models/code-decoder';
import {
  GrowingVarStepModel,
  VarEncoder,
  VarFhatDecoder,
  VarScaleAccumulator,
  VarStepModel,
  type VarDims,
} from '../models/var-models';
import type { LoadedModel, ModelRepository } from '@nextx/runtime';
import { imageFacts } from '../models/image-manifest';
import { varCfg } from './var-guidance';

/** Default sampling of a VAR model, from its `model.json`. */
export interface VarDefaults {
  /** VAR's `cfg` (guidance ramps to 1 + cfg). */
  readonly cfg: number;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
}

/** Everything needed to generate with one VAR model. */
export interface VarPipeline {
  readonly model: LoadedModel;
  readonly dims: VarDims;
  readonly scales: readonly number[];
  readonly numClasses: number;
  readonly defaults: VarDefaults;
  readonly decoder: VarFhatDecoder;
  /** Image → multi-scale tokens, for in-painting (models whose contract has an `encoder` graph). */
  readonly encoder?: VarEncoder;
  /** A generator whose caches hold `rows` rows (images, doubled by CFG). */
  generator(rows: number): NextScaleGenerator<ImageBatch>;
  /**
   * A shared fusion of concurrent generations (rounds of at most `maxRows` rows): every scale of
   * a round is one batched forward, f̂ update and decode over all its members.
   */
  fused(maxRows: number): ScaleFusion<ImageBatch>;
  /** A generator over one member of a {@link fused} fusion. */
  fusedGenerator(member: ScaleFusionMember<ImageBatch>): NextScaleGenerator<ImageBatch>;
}

/** Images `[first, first + images)` of a batch. */
export function sliceImages(batch: ImageBatch, first: number, images: number): ImageBatch {
  const size = batch.channels * batch.height * batch.width;
  return {
    ...batch,
    pixels: batch.pixels.slice(first * size, (first + images) * size),
    images,
  };
}

interface VarContract {
  graphs: { step: { num_heads: number; head_dim: number } };
  scales: number[];
  num_classes: number;
  null_class: number;
  codebook_size: number;
  latent_channels: number;
}

/** Builds a VAR pipeline (step, f̂ accumulation and decoder graphs) from the manifest. */
export async function loadVarPipeline(
  repository: ModelRepository,
  name: string,
): Promise<VarPipeline> {
  const model = await repository.load(name);
  const c = model.manifest.contract as unknown as VarContract;
  const scales = c.scales;
  const dims: VarDims = {
    heads: c.graphs.step.num_heads,
    headDim: c.graphs.step.head_dim,
    vocabSize: c.codebook_size,
    channels: c.latent_channels,
    latentSize: scales[scales.length - 1],
    totalTokens: scales.reduce((sum, pn) => sum + pn * pn, 0),
    maxBatch: 1,
  };
  const d = imageFacts(model).defaults;
  const defaults: VarDefaults = {
    cfg: varCfg(d.guidanceScale),
    temperature: d.temperature,
    topK: d.topK,
    topP: d.topP,
  };
  // Decoder and accumulator only read the channel/latent sizes; batch sizes come per call.
  const decoder = new VarFhatDecoder(model.graph('decoder'), dims);
  const accumulator = new VarScaleAccumulator(model.graph('scale_update'), dims);
  const step = model.graph('step');
  return {
    model,
    dims,
    scales,
    numClasses: c.num_classes,
    defaults,
    decoder,
    encoder:
      'encoder' in model.manifest.contract.graphs
        ? new VarEncoder(model.graph('encoder'))
        : undefined,
    generator: (rows) =>
      new NextScaleGenerator(
        new VarStepModel(step, { ...dims, maxBatch: rows }),
        accumulator,
        decoder,
        scales,
        c.null_class,
      ),
    fused: (maxRows) =>
      new ScaleFusion({
        model: new GrowingVarStepModel(step, dims, maxRows),
        accumulator,
        decoder,
        sliceMedia: sliceImages,
        maxRows,
      }),
    fusedGenerator: (member) =>
      new NextScaleGenerator(
        member.model,
        member.accumulator,
        member.decoder,
        scales,
        c.null_class,
      ),
  };
}
