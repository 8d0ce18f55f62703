import type { VoxelGrid } from '@nextx/media';
import { ReferenceClassifier, type ModelManifest, type ModelRepository } from '@nextx/runtime';

/** Edge of the grids the judge reads: the last dim of its `voxels` input [batch, 1, r, r, r]. */
export function judgeResolution(manifest: ModelManifest): number {
  const shape = manifest.contract.graphs['classifier']?.inputs['voxels']?.shape;
  const resolution = Number(shape?.[shape.length - 1]);
  if (!Number.isInteger(resolution))
    throw new Error(`model ${manifest.name}: no voxels input resolution`);
  return resolution;
}

/**
 * The voxel classifier (`models/voxel-classifier`, trained on the real train shapes) as the judge
 * of generated shapes: it reads grids of its own resolution as [batch, 1, r, r, r] in the grid's
 * index order (x fastest), and says which class each one looks like.
 */
export class ShapeJudge {
  private constructor(
    private readonly classifier: ReferenceClassifier,
    readonly resolution: number,
  ) {}

  static async load(repository: ModelRepository, name = 'voxel-classifier'): Promise<ShapeJudge> {
    const model = await repository.load(name);
    return new ShapeJudge(
      new ReferenceClassifier(model.graph('classifier')),
      judgeResolution(model.manifest),
    );
  }

  /** Predicted class per grid. */
  async classify(grids: readonly VoxelGrid[]): Promise<Int32Array> {
    const r = this.resolution;
    const data = new Float32Array(grids.length * r ** 3);
    grids.forEach((grid, i) => {
      if (grid.resolution !== r)
        throw new RangeError(`judge reads ${r}³ grids, got ${grid.resolution}³`);
      data.set(grid.voxels, i * r ** 3);
    });
    const { labels } = await this.classifier.classify({ data, dims: [grids.length, 1, r, r, r] });
    return labels;
  }
}
