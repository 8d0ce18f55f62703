import { ContractError, type ModelManifest } from '@nextx/runtime';
import { z } from 'zod';

/** The shape generator families, by manifest `family`. */
export const SHAPE_FAMILIES = {
  /** Next-scale over octree levels (one forward per level). */
  scale: 'shape-scale',
  /** Next-token over the finest level in raster order (the baseline). */
  raster: 'shape-raster',
} as const;

export type ShapeFamily = (typeof SHAPE_FAMILIES)[keyof typeof SHAPE_FAMILIES];

/** What a shape generator's manifest says about requests to it, read without loading it. */
export interface ShapeModelFacts {
  readonly family: ShapeFamily;
  /** Class names, by class label. */
  readonly classes: readonly string[];
  /** Edge of the finest grid (16: four octree levels of 2×2×2 children). */
  readonly grid: number;
  /** Octree levels; level k's tokens give the grid at resolution 2^(k+1). */
  readonly levels: number;
  /** Output resolutions a request may ask for (a next-scale model can stop at any level). */
  readonly resolutions: readonly number[];
  readonly defaults: {
    readonly temperature: number;
    readonly topK: number;
    /** 1 = off. */
    readonly topP: number;
    readonly guidanceScale: number;
  };
}

const schema = z.object({
  shape: z.object({
    classes: z.array(z.string().min(1)).min(1),
    grid: z.number().int().positive(),
    levels: z.number().int().positive(),
  }),
  defaults: z.object({
    temperature: z.number().nonnegative(),
    top_k: z.number().int().nonnegative(),
    top_p: z.number().min(0).max(1).optional(),
    cfg_scale: z.number().positive(),
  }),
});

/** The facts of a shape generator's manifest; undefined for other families; ContractError when malformed. */
export function readShapeModelFacts(manifest: ModelManifest): ShapeModelFacts | undefined {
  const family = Object.values(SHAPE_FAMILIES).find((f) => f === manifest.family);
  if (!family) return undefined;
  const parsed = schema.safeParse(manifest);
  if (!parsed.success)
    throw new ContractError(
      `model ${manifest.name}: shape manifest: ${parsed.error.issues
        .map((i) => `${i.path.join('.')} ${i.message}`)
        .join('; ')}`,
    );
  const { shape, defaults } = parsed.data;
  if (2 ** shape.levels !== shape.grid)
    throw new ContractError(
      `model ${manifest.name}: ${shape.levels} octree levels do not make a ${shape.grid}³ grid`,
    );
  return {
    family,
    classes: shape.classes,
    grid: shape.grid,
    levels: shape.levels,
    resolutions:
      family === SHAPE_FAMILIES.scale
        ? Array.from({ length: shape.levels }, (_, k) => 2 ** (k + 1))
        : [shape.grid],
    defaults: {
      temperature: defaults.temperature,
      topK: defaults.top_k,
      topP: defaults.top_p || 1,
      guidanceScale: defaults.cfg_scale,
    },
  };
}
