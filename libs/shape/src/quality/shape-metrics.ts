import { largestComponentShare, type VoxelGrid } from '@nextx/media';

/** A generated shape is valid when it is non-empty and one piece (≥ 95 % in its largest component). */
export function isValidShape(grid: VoxelGrid, mainShare = 0.95): boolean {
  return largestComponentShare(grid) >= mainShare;
}

/** 1 − IoU of two grids of the same resolution (0 = identical, 1 = disjoint or both empty). */
export function iouDistance(a: VoxelGrid, b: VoxelGrid): number {
  if (a.resolution !== b.resolution) throw new RangeError('grids of different resolutions');
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.voxels.length; i++) {
    inter += a.voxels[i] & b.voxels[i];
    union += a.voxels[i] | b.voxels[i];
  }
  return union ? 1 - inter / union : 1;
}

/**
 * Coverage and minimum matching distance (Achlioptas et al. 2018) with the IoU distance:
 * COV = share of real shapes that are the nearest real shape of some generated one;
 * MMD = mean over real shapes of the distance to their nearest generated shape.
 */
export function coverageAndMmd(
  generated: readonly VoxelGrid[],
  real: readonly VoxelGrid[],
): { coverage: number; mmd: number } {
  const d = generated.map((g) => real.map((r) => iouDistance(g, r)));
  const covered = new Set(d.map((row) => row.indexOf(Math.min(...row))));
  let mmd = 0;
  for (let j = 0; j < real.length; j++) mmd += Math.min(...d.map((row) => row[j]));
  return { coverage: covered.size / real.length, mmd: mmd / real.length };
}
