/** A cubic occupancy grid: one byte per voxel (0 or 1), index x + r·(y + r·z). */
export interface VoxelGrid {
  readonly resolution: number;
  readonly voxels: Uint8Array;
}

/** Index of voxel (x, y, z) in a grid of edge `r`. */
export const voxelIndex = (r: number, x: number, y: number, z: number): number =>
  x + r * (y + r * z);

/** Occupied voxels. */
export function occupiedCount(grid: VoxelGrid): number {
  let n = 0;
  for (const v of grid.voxels) n += v ? 1 : 0;
  return n;
}

/** One bit per voxel, LSB first (`Occupancy.bits` of the shape API). */
export function packVoxels(grid: VoxelGrid): Uint8Array {
  const bits = new Uint8Array(Math.ceil(grid.voxels.length / 8));
  grid.voxels.forEach((v, i) => {
    if (v) bits[i >> 3] |= 1 << (i & 7);
  });
  return bits;
}

/** The inverse of {@link packVoxels}; `bits` must hold at least r³ bits. */
export function unpackVoxels(bits: Uint8Array, resolution: number): VoxelGrid {
  const count = resolution ** 3;
  if (bits.length * 8 < count)
    throw new RangeError(`${bits.length} bytes hold fewer than ${count} voxels`);
  const voxels = new Uint8Array(count);
  for (let i = 0; i < count; i++) voxels[i] = (bits[i >> 3] >> (i & 7)) & 1;
  return { resolution, voxels };
}

/**
 * Share of the occupied voxels in the largest 26-connected component (1 for an empty grid's
 * "no component" is avoided: an empty grid gives 0) — a generated shape is "valid" when this
 * is high, i.e. it is one piece and not scattered specks.
 */
export function largestComponentShare(grid: VoxelGrid): number {
  const r = grid.resolution;
  const seen = new Uint8Array(grid.voxels.length);
  const stack: number[] = [];
  let total = 0;
  let largest = 0;
  for (let start = 0; start < grid.voxels.length; start++) {
    if (!grid.voxels[start] || seen[start]) continue;
    let size = 0;
    seen[start] = 1;
    stack.push(start);
    for (let i = stack.pop(); i !== undefined; i = stack.pop()) {
      size++;
      const x = i % r;
      const y = Math.floor(i / r) % r;
      const z = Math.floor(i / (r * r));
      for (let dz = -1; dz <= 1; dz++)
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx;
            const ny = y + dy;
            const nz = z + dz;
            if (nx < 0 || ny < 0 || nz < 0 || nx >= r || ny >= r || nz >= r) continue;
            const j = voxelIndex(r, nx, ny, nz);
            if (grid.voxels[j] && !seen[j]) {
              seen[j] = 1;
              stack.push(j);
            }
          }
    }
    total += size;
    largest = Math.max(largest, size);
  }
  return total ? largest / total : 0;
}
