import { describe, expect, it } from 'vitest';
import { voxelIndex, type VoxelGrid } from '@nextx/media';
import { coverageAndMmd, iouDistance, isValidShape } from './shape-metrics';

const box = (r: number, x0: number, x1: number): VoxelGrid => {
  const voxels = new Uint8Array(r ** 3);
  for (let z = 0; z < r; z++)
    for (let y = 0; y < r; y++) for (let x = x0; x < x1; x++) voxels[voxelIndex(r, x, y, z)] = 1;
  return { resolution: r, voxels };
};

describe('shape metrics', () => {
  it('IoU distance, validity, coverage and MMD', () => {
    const a = box(4, 0, 2);
    const b = box(4, 1, 3);
    expect(iouDistance(a, a)).toBe(0);
    expect(iouDistance(a, b)).toBeCloseTo(1 - 1 / 3, 12);
    expect(isValidShape(a)).toBe(true);
    const specks = box(4, 0, 0);
    specks.voxels[0] = 1;
    specks.voxels[63] = 1;
    expect(isValidShape(specks)).toBe(false);
    expect(isValidShape(box(4, 0, 0))).toBe(false);
    // Both generated shapes are nearest to `a`: half the real set is covered.
    const { coverage, mmd } = coverageAndMmd([a, a], [a, b]);
    expect(coverage).toBe(0.5);
    expect(mmd).toBeCloseTo((0 + 2 / 3) / 2, 12);
  });
});
