import { voxelIndex, type VoxelGrid } from '@nextx/media';

/**
 * The grid a level's tokens describe: level k has (2^k)³ nodes, each token the 8-bit pattern of
 * its 2×2×2 children (bit dx + 2·dy + 4·dz), so the grid has resolution 2^(k+1).
 */
export function levelVoxels(tokens: ArrayLike<number>, level: number): VoxelGrid {
  const r = 2 ** level;
  if (tokens.length !== r ** 3)
    throw new RangeError(`level ${level} has ${r ** 3} nodes, got ${tokens.length} tokens`);
  const resolution = 2 * r;
  const voxels = new Uint8Array(resolution ** 3);
  for (let node = 0; node < tokens.length; node++) {
    const pattern = tokens[node];
    if (!pattern) continue;
    const x = node % r;
    const y = Math.floor(node / r) % r;
    const z = Math.floor(node / (r * r));
    for (let child = 0; child < 8; child++)
      if ((pattern >> child) & 1)
        voxels[
          voxelIndex(
            resolution,
            2 * x + (child & 1),
            2 * y + ((child >> 1) & 1),
            2 * z + (child >> 2),
          )
        ] = 1;
  }
  return { resolution, voxels };
}

/** The level tokens of a grid (the inverse of {@link levelVoxels}, for tests and the bench's real shapes). */
export function voxelsToLevel(grid: VoxelGrid): Int32Array {
  const r = grid.resolution / 2;
  const tokens = new Int32Array(r ** 3);
  for (let node = 0; node < tokens.length; node++) {
    const x = node % r;
    const y = Math.floor(node / r) % r;
    const z = Math.floor(node / (r * r));
    for (let child = 0; child < 8; child++)
      if (
        grid.voxels[
          voxelIndex(
            grid.resolution,
            2 * x + (child & 1),
            2 * y + ((child >> 1) & 1),
            2 * z + (child >> 2),
          )
        ]
      )
        tokens[node] |= 1 << child;
  }
  return tokens;
}

/** The grid at half the resolution: a voxel is occupied when any of its 2×2×2 children is. */
export function maxPool(grid: VoxelGrid): VoxelGrid {
  const r = grid.resolution / 2;
  const voxels = new Uint8Array(r ** 3);
  for (let i = 0; i < grid.voxels.length; i++) {
    if (!grid.voxels[i]) continue;
    const x = i % grid.resolution;
    const y = Math.floor(i / grid.resolution) % grid.resolution;
    const z = Math.floor(i / grid.resolution ** 2);
    voxels[voxelIndex(r, x >> 1, y >> 1, z >> 1)] = 1;
  }
  return { resolution: r, voxels };
}

/** Every octree token of a grid of edge 2^levels, levels in order (1 + 8 + 64 + … nodes). */
export function octreeTokens(grid: VoxelGrid): Int32Array {
  const levels: Int32Array[] = [];
  for (let g = grid; g.resolution >= 2; g = maxPool(g)) levels.unshift(voxelsToLevel(g));
  const out = new Int32Array(levels.reduce((n, l) => n + l.length, 0));
  let at = 0;
  for (const level of levels) {
    out.set(level, at);
    at += level.length;
  }
  return out;
}
