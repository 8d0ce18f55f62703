import { readFile } from 'node:fs/promises';
import {
  OctreeScaleGenerator,
  RasterGenerator,
  type GenerationEvent,
  type GenerationOptions,
  type OctreeLevel,
  type SamplingOptions,
} from '@nextx/engine';
import type { VoxelGrid } from '@nextx/media';
import { OptimumDecoderStepModel, type ModelRepository } from '@nextx/runtime';
import { OctreePrefixModel } from '../models/octree-prefix-model';
import {
  readShapeModelFacts,
  SHAPE_FAMILIES,
  type ShapeModelFacts,
} from '../models/shape-manifest';
import { levelVoxels } from './octree-voxels';

/** One generation of a batch of shapes (one per class label), in engine terms. */
export interface ShapeRequest {
  readonly classLabels: readonly number[];
  readonly guidanceScale: number;
  readonly sampling: SamplingOptions;
  /** Output resolution (one of the model's `resolutions`). */
  readonly resolution: number;
}

/** A finished level of a next-scale generation: its grid per shape (resolution 2^(level+1)). */
export interface LevelGrids {
  readonly level: number;
  readonly grids: VoxelGrid[];
}

/** The events of one generation: progress (with the level's grids for next-scale), then the grids. */
export type ShapeEvent = GenerationEvent<VoxelGrid[]> & { readonly levelGrids?: LevelGrids };

/** A loaded shape generator (either family) behind one interface. */
export interface ShapePipeline {
  readonly facts: ShapeModelFacts;
  generate(request: ShapeRequest, options: GenerationOptions): AsyncIterable<ShapeEvent>;
}

/** Longest prefix of the octree sequence: Σ (2^k)³ over the levels. */
const octreeLength = (levels: number) =>
  Array.from({ length: levels }, (_, k) => 8 ** k).reduce((a, b) => a + b, 0);

/**
 * Loads a shape generator. Next-scale (`shape-scale`): the engine's {@link OctreeScaleGenerator}
 * over the `scale_model` graph, one forward per level, stopping early for a coarser resolution.
 * Next-token (`shape-raster`): the engine's LlamaGen-style {@link RasterGenerator} over the
 * KV-cached `decoder_lm` graph, one forward per finest-level token, as the baseline.
 */
export async function loadShapePipeline(
  repository: ModelRepository,
  name: string,
  options: { maxBatch: number },
): Promise<ShapePipeline> {
  const model = await repository.load(name);
  const facts = readShapeModelFacts(model.manifest);
  if (!facts) throw new Error(`model ${name} is not a shape generator`);
  const classes = facts.classes.length;
  if (facts.family === SHAPE_FAMILIES.scale) {
    const prefix = new OctreePrefixModel(
      model.graph('scale_model'),
      256,
      octreeLength(facts.levels),
      2 * options.maxBatch,
    );
    const decoder = {
      decode: async (x: { tokens: Int32Array; shapes: number; levels: number }) => {
        const total = octreeLength(x.levels);
        const begin = octreeLength(x.levels - 1);
        return Array.from({ length: x.shapes }, (_, b) =>
          levelVoxels(x.tokens.subarray(b * total + begin, (b + 1) * total), x.levels - 1),
        );
      },
    };
    const generator = new OctreeScaleGenerator(
      prefix,
      {
        levels: facts.levels,
        classInput: (c) => 2048 + c,
        nullClassInput: 2048 + classes,
        childInput: (parent, child) => parent * 8 + child,
      },
      decoder,
    );
    return {
      facts,
      async *generate(request, generation) {
        const levels = Math.log2(request.resolution);
        for await (const event of generator.generate(
          {
            classLabels: request.classLabels,
            guidanceScale: request.guidanceScale,
            sampling: request.sampling,
            levels,
          },
          generation,
        )) {
          if (event.type === 'result') {
            yield { type: 'result', result: event.result.media };
            continue;
          }
          const level = event.preview as OctreeLevel;
          const nodes = 8 ** level.level;
          const grids = request.classLabels.map((_, b) =>
            levelVoxels(level.tokens.subarray(b * nodes, (b + 1) * nodes), level.level),
          );
          const levelGrids: LevelGrids = { level: level.level, grids };
          yield { ...event, levelGrids };
        }
      },
    };
  }
  const layout = (model.manifest.contract as unknown as { token_layout: RasterLayoutSection })
    .token_layout;
  const config = JSON.parse(await readFile(model.file('config.json'), 'utf8')) as {
    num_attention_heads: number;
    hidden_size: number;
    head_dim?: number;
    vocab_size: number;
  };
  const step = new OptimumDecoderStepModel(model.graph('decoder_lm'), {
    heads: config.num_attention_heads,
    headDim: config.head_dim ?? config.hidden_size / config.num_attention_heads,
    vocabSize: config.vocab_size,
    maxLength: layout.image_tokens + 1,
    maxBatch: 2 * options.maxBatch,
  });
  const decoder = {
    decode: async (x: { codes: Int32Array; images: number }) => {
      const nodes = layout.image_tokens;
      return Array.from({ length: x.images }, (_, b) =>
        levelVoxels(x.codes.subarray(b * nodes, (b + 1) * nodes), facts.levels - 1),
      );
    },
  };
  const generator = new RasterGenerator(
    step,
    {
      tokensPerImage: layout.image_tokens,
      codeOffset: layout.code_token_offset,
      codebookSize: layout.codebook_size,
      classToken: (c) => layout.class_token_offset + c,
      nullClassToken: layout.null_class_token,
    },
    decoder,
  );
  return {
    facts,
    async *generate(request, generation) {
      for await (const event of generator.generate(
        {
          classLabels: request.classLabels,
          guidanceScale: request.guidanceScale,
          sampling: request.sampling,
        },
        generation,
      )) {
        if (event.type === 'result') yield { type: 'result', result: event.result.media };
        else yield event;
      }
    },
  };
}

interface RasterLayoutSection {
  codebook_size: number;
  code_token_offset: number;
  class_token_offset: number;
  null_class_token: number;
  image_tokens: number;
}
