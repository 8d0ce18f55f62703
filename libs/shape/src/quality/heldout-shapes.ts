import { readFile } from 'node:fs/promises';
import { unpackVoxels, type VoxelGrid } from '@nextx/media';
import type { ModelRepository } from '@nextx/runtime';
import { judgeResolution } from './shape-judge';

/** A real held-out shape shipped with the judge (`heldout.json` of `models/voxel-classifier`). */
export interface HeldoutShape {
  readonly classLabel: number;
  readonly className: string;
  /** The KiCad part it was made from. */
  readonly name: string;
  readonly grid: VoxelGrid;
  /** The class the judge gave it in Python (onnxruntime), for parity checks. */
  readonly judgeClass: number;
  /** Its first octree tokens (levels 0..2) as Python computed them. */
  readonly levelTokens: readonly number[];
}

interface HeldoutFile {
  shapes: {
    class: number;
    class_name: string;
    name: string;
    occupancy_base64: string;
    judge_class: number;
    level_tokens_0_2: number[];
  }[];
}

/**
 * The real held-out shapes the judge model ships (a few per class of its test split, never
 * trained on): the reference set for tests and the bench's coverage / MMD.
 */
export async function loadHeldoutShapes(
  repository: ModelRepository,
  name = 'voxel-classifier',
): Promise<HeldoutShape[]> {
  const model = await repository.load(name);
  const file = JSON.parse(await readFile(model.file('heldout.json'), 'utf8')) as HeldoutFile;
  const resolution = judgeResolution(model.manifest);
  return file.shapes.map((s) => ({
    classLabel: s.class,
    className: s.class_name,
    name: s.name,
    grid: unpackVoxels(Buffer.from(s.occupancy_base64, 'base64'), resolution),
    judgeClass: s.judge_class,
    levelTokens: s.level_tokens_0_2,
  }));
}
