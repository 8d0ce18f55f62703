import { ContractError, type ModelManifest } from '@nextx/runtime';
import { z } from 'zod';
import { varGuidanceScale } from '../pipelines/var-guidance';

/** The image model families the image service serves, by manifest `family`. */
export const IMAGE_FAMILIES = { var: 'var', llamagen: 'raster', xar: 'xar', mar: 'mar' } as const;

/** API family of an image model. */
export type ImageFamily = (typeof IMAGE_FAMILIES)[keyof typeof IMAGE_FAMILIES];

/** What an image model's manifest says about requests to it, read without loading the model. */
export interface ImageModelFacts {
  readonly family: ImageFamily;
  readonly numClasses: number;
  /** Side of the (square) generated image, pixels: `contract.image.shape` [channels, H, W]. */
  readonly imageSize: number;
  /** Codes a token may take (VAR codebook, raster code ids); 0 for continuous tokens. */
  readonly vocabSize: number;
  /** `defaults` of the manifest, in the API's sampling fields. */
  readonly defaults: {
    readonly guidanceScale: number;
    readonly temperature: number;
    readonly topK: number;
    readonly topP: number;
    readonly minP: number;
  };
}

const positiveInt = z.number().int().positive();

const imageSchema = z
  .object({ shape: z.tuple([positiveInt, positiveInt, positiveInt]) })
  .refine((image) => image.shape[1] === image.shape[2], {
    message: 'expected a square image [channels, size, size]',
    path: ['shape'],
  });

const classesAndCodes = z.object({ num_classes: positiveInt, codebook_size: positiveInt });

/**
 * The sampling defaults: guidance scale and temperature decide what a request gets and must be
 * stated; a filter the manifest leaves out is off (top_k 0, top_p 1, min_p 0).
 */
const defaultsSchema = z.object({
  cfg_scale: z.number().nonnegative(),
  temperature: z.number().positive(),
  top_k: z.number().int().nonnegative().default(0),
  top_p: z.number().positive().max(1).default(1),
  min_p: z.number().nonnegative().lt(1).default(0),
});

const varSchema = z.object({
  contract: classesAndCodes.extend({ image: imageSchema }),
  defaults: defaultsSchema,
});

/** xAR and MAR: continuous pixel-patch tokens (`contract.tokens`), no codebook. */
const continuousSchema = z.object({
  contract: z.object({
    num_classes: positiveInt,
    image: imageSchema,
    tokens: z.object({ token_dim: positiveInt, seq_len: positiveInt }),
  }),
  defaults: defaultsSchema,
});

/** Families whose tokens are continuous vectors (no codebook: top-k/top-p/min-p do not apply). */
export function isContinuousFamily(family: ImageFamily): family is 'xar' | 'mar' {
  return family === 'xar' || family === 'mar';
}

const rasterSchema = z.object({
  contract: z.object({ token_layout: classesAndCodes, image: imageSchema }),
  defaults: defaultsSchema,
});

/**
 * Reads the image facts of a manifest of an image family; undefined for other families. A
 * manifest that lacks one of them is refused with a {@link ContractError} naming the field, so
 * no request ever runs on a guessed size or guidance scale.
 */
export function readImageModelFacts(manifest: ModelManifest): ImageModelFacts | undefined {
  const family = IMAGE_FAMILIES[manifest.family as keyof typeof IMAGE_FAMILIES];
  if (!family) return undefined;
  const schema = family === 'var' ? varSchema : isContinuousFamily(family) ? continuousSchema : rasterSchema;
  const parsed = schema.safeParse(manifest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ContractError(
      `model ${manifest.name}: model.json ${issue.path.join('.')}: ${issue.message}`,
    );
  }
  const { contract, defaults: d } = parsed.data;
  const codes =
    'token_layout' in contract
      ? contract.token_layout
      : 'codebook_size' in contract
        ? contract
        : { num_classes: contract.num_classes, codebook_size: 0 };
  return {
    family,
    numClasses: codes.num_classes,
    imageSize: contract.image.shape[1],
    vocabSize: codes.codebook_size,
    defaults: {
      // The API's scale (1 = off, > 1 = guided); a VAR manifest holds VAR's own cfg (the ramp's
      // final t), which serves the same guidance as the API scale 1 + cfg.
      guidanceScale: family === 'var' ? varGuidanceScale(d.cfg_scale) : d.cfg_scale,
      temperature: d.temperature,
      topK: d.top_k,
      topP: d.top_p,
      minP: d.min_p,
    },
  };
}

/** The image facts of a loaded model's manifest (its family was checked when it was chosen). */
export function imageFacts(model: { readonly manifest: ModelManifest }): ImageModelFacts {
  const facts = readImageModelFacts(model.manifest);
  if (!facts) throw new ContractError(`model ${model.manifest.name} is not an image model`);
  return facts;
}
