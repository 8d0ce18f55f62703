import { voxelIndex, type VoxelGrid } from './voxel-grid';

/** An indexed triangle mesh (flat-shaded: every face has its own vertices and normal). */
export interface TriangleMesh {
  /** xyz per vertex. */
  readonly positions: Float32Array;
  /** Unit outward normal per vertex. */
  readonly normals: Float32Array;
  /** Three vertex indices per triangle, counter-clockwise seen from outside. */
  readonly indices: Uint32Array;
}

/** The six face directions: normal axis, sign, and the two in-plane axes in CCW order. */
const FACES = [
  { axis: 0, sign: 1, u: 1, v: 2 },
  { axis: 0, sign: -1, u: 2, v: 1 },
  { axis: 1, sign: 1, u: 2, v: 0 },
  { axis: 1, sign: -1, u: 0, v: 2 },
  { axis: 2, sign: 1, u: 0, v: 1 },
  { axis: 2, sign: -1, u: 1, v: 0 },
] as const;

/**
 * The exact surface of a voxel grid: one quad (two triangles) for every face between an
 * occupied voxel and an empty one or the outside, in the unit cube centred at the origin
 * (voxel edge 1 / resolution). Watertight and exact to the voxels; no smoothing, so what the
 * model generated is what is seen.
 */
export function voxelSurface(grid: VoxelGrid): TriangleMesh {
  const r = grid.resolution;
  const occupied = (x: number, y: number, z: number) =>
    x >= 0 &&
    y >= 0 &&
    z >= 0 &&
    x < r &&
    y < r &&
    z < r &&
    grid.voxels[voxelIndex(r, x, y, z)] === 1;
  const positions: number[] = [];
  const normals: number[] = [];
  const indices: number[] = [];
  const cell = [0, 0, 0];
  for (let z = 0; z < r; z++)
    for (let y = 0; y < r; y++)
      for (let x = 0; x < r; x++) {
        if (!occupied(x, y, z)) continue;
        cell[0] = x;
        cell[1] = y;
        cell[2] = z;
        for (const face of FACES) {
          const n = [0, 0, 0];
          n[face.axis] = face.sign;
          if (occupied(x + n[0], y + n[1], z + n[2])) continue;
          const base = positions.length / 3;
          // The face's plane sits on the voxel's far side along the normal for +, near side for −.
          for (const [du, dv] of [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ]) {
            const p = [...cell];
            p[face.axis] += face.sign > 0 ? 1 : 0;
            p[face.u] += du;
            p[face.v] += dv;
            positions.push(p[0] / r - 0.5, p[1] / r - 0.5, p[2] / r - 0.5);
            normals.push(n[0], n[1], n[2]);
          }
          indices.push(base, base + 1, base + 2, base, base + 2, base + 3);
        }
      }
  return {
    positions: Float32Array.from(positions),
    normals: Float32Array.from(normals),
    indices: Uint32Array.from(indices),
  };
}
