import { describe, expect, it } from 'vitest';
import { voxelIndex } from '@nextx/media';
import { levelVoxels, voxelsToLevel } from './octree-voxels';

describe('octree level tokens ↔ voxels', () => {
  it('bit dx + 2·dy + 4·dz of node (x, y, z) is voxel (2x + dx, 2y + dy, 2z + dz)', () => {
    // Level 1 (2³ nodes → 4³ voxels): node (1, 0, 1) = index 1 + 2·(0 + 2·1) = 5, child (0, 1, 1) = bit 6.
    const tokens = new Int32Array(8);
    tokens[5] = 1 << 6;
    const grid = levelVoxels(tokens, 1);
    expect(grid.resolution).toBe(4);
    expect(grid.voxels.reduce((a, b) => a + b, 0)).toBe(1);
    expect(grid.voxels[voxelIndex(4, 2, 1, 3)]).toBe(1);
    expect(Array.from(voxelsToLevel(grid))).toEqual(Array.from(tokens));
    expect(() => levelVoxels(new Int32Array(7), 1)).toThrow(/8 nodes/);
  });
});
