import {
  occupiedCount,
  packVoxels,
  renderVoxelsPng,
  renderVoxelViewsPng,
  voxelSurface,
  writeGlb,
  writeObj,
  writePly,
  type VoxelGrid,
} from '@nextx/media';
import {
  CachedLoader,
  type ModelRepository,
  type Task,
  type TaskContext,
  type TaskHandlers,
} from '@nextx/runtime';
import { loadShapePipeline } from '../pipelines/shape-pipeline';

/** Mesh containers of a generated shape. */
export type MeshFormat = 'glb' | 'obj' | 'ply';

/** One shape to generate, checked and resolved by the service. */
export interface ShapeGenerateTask {
  readonly model: string;
  readonly classLabel: number;
  readonly seed: number;
  readonly sampling: { readonly temperature: number; readonly topK: number; readonly topP: number };
  readonly guidanceScale: number;
  readonly resolution: number;
  readonly format: MeshFormat;
}

/** Occupancy as the API carries it: one bit per voxel. */
export interface PackedOccupancy {
  readonly resolution: number;
  readonly bits: Uint8Array;
  readonly occupied: number;
}

/** Progress of a generation; next-scale models add the finished level's occupancy and view. */
export interface ShapeProgress {
  readonly step: number;
  readonly total: number;
  readonly stage: string;
  readonly level?: {
    readonly level: number;
    readonly occupancy: PackedOccupancy;
    readonly png: Uint8Array;
  };
}

/** What a generate task returns. */
export interface ShapeGenerateOutput {
  readonly occupancy: PackedOccupancy;
  readonly mesh: Uint8Array;
  readonly triangles: number;
  readonly vertices: number;
  /** Four fixed views of the result (2 × 2 sheet). */
  readonly png: Uint8Array;
  /** Model calls of the main loop. */
  readonly steps: number;
}

/** The shape tasks of a generation worker, by kind. */
export interface ShapeTasks {
  readonly generate: Task<ShapeGenerateTask, ShapeProgress, ShapeGenerateOutput>;
}

const packed = (grid: VoxelGrid): PackedOccupancy => ({
  resolution: grid.resolution,
  bits: packVoxels(grid),
  occupied: occupiedCount(grid),
});

/** The grid's surface in the requested container. */
export async function encodeMesh(
  grid: VoxelGrid,
  format: MeshFormat,
): Promise<{ mesh: Uint8Array; triangles: number; vertices: number }> {
  const surface = voxelSurface(grid);
  const mesh =
    format === 'glb'
      ? await writeGlb(surface)
      : format === 'obj'
        ? new TextEncoder().encode(writeObj(surface))
        : writePly(surface);
  return { mesh, triangles: surface.indices.length / 3, vertices: surface.positions.length / 3 };
}

/**
 * The shape tasks a generation worker serves: each model is loaded once; every finished octree
 * level streams back with its occupancy and a rendered view, the result carries the mesh.
 */
export function shapeTaskHandlers(
  repository: ModelRepository,
  options: { maxBatch: number } = { maxBatch: 1 },
): TaskHandlers<ShapeTasks> {
  const pipelines = new CachedLoader((name: string) =>
    loadShapePipeline(repository, name, options),
  );
  return {
    async generate(task: ShapeGenerateTask, context: TaskContext<ShapeProgress>) {
      const pipeline = await pipelines.get(task.model);
      let steps = 0;
      for await (const event of pipeline.generate(
        {
          classLabels: [task.classLabel],
          guidanceScale: task.guidanceScale,
          sampling: task.sampling,
          resolution: task.resolution,
        },
        { seed: task.seed, signal: context.signal },
      )) {
        if (event.type === 'progress') {
          steps = event.step;
          const level = event.levelGrids;
          context.progress({
            step: event.step,
            total: event.total,
            stage: event.stage,
            level: level && {
              level: level.level,
              occupancy: packed(level.grids[0]),
              png: renderVoxelsPng(level.grids[0], 96),
            },
          });
          continue;
        }
        const [grid] = event.result;
        return {
          occupancy: packed(grid),
          ...(await encodeMesh(grid, task.format)),
          png: renderVoxelViewsPng(grid, 128),
          steps,
        };
      }
      throw new Error('generation ended without a result');
    },
  };
}
