import { describe, expect, it } from 'vitest';
import { validateGlb } from '../testing/gltf-validation';
import { PNG } from 'pngjs';
import { writeGlb, writeObj, writePly } from './mesh-writers';
import {
  largestComponentShare,
  occupiedCount,
  packVoxels,
  unpackVoxels,
  voxelIndex,
  type VoxelGrid,
} from './voxel-grid';
import { renderVoxelsPng, renderVoxelViewsPng } from './voxel-render';
import { voxelSurface, type TriangleMesh } from './voxel-surface';

function grid(r: number, cells: [number, number, number][]): VoxelGrid {
  const voxels = new Uint8Array(r ** 3);
  for (const [x, y, z] of cells) voxels[voxelIndex(r, x, y, z)] = 1;
  return { resolution: r, voxels };
}

/** Every edge (by welded positions) is shared by exactly two triangles, traversed both ways. */
function isClosedManifold(mesh: TriangleMesh): boolean {
  const key = (i: number) =>
    Array.from(mesh.positions.subarray(3 * i, 3 * i + 3), (v) => v.toFixed(6)).join(',');
  const edges = new Map<string, number>();
  for (let t = 0; t < mesh.indices.length; t += 3)
    for (let k = 0; k < 3; k++) {
      const a = key(mesh.indices[t + k]);
      const b = key(mesh.indices[t + ((k + 1) % 3)]);
      edges.set(`${a}>${b}`, (edges.get(`${a}>${b}`) ?? 0) + 1);
    }
  return [...edges].every(([edge, n]) => {
    const [a, b] = edge.split('>');
    return n === 1 && edges.get(`${b}>${a}`) === 1;
  });
}

describe('voxel meshes', () => {
  it('one voxel is a closed cube of 12 outward triangles; shared faces between voxels are dropped', () => {
    const one = voxelSurface(grid(4, [[1, 1, 1]]));
    expect(one.indices.length / 3).toBe(12);
    expect(isClosedManifold(one)).toBe(true);
    // Outward: each triangle's winding normal agrees with its vertex normal.
    for (let t = 0; t < one.indices.length; t += 3) {
      const [a, b, c] = [0, 1, 2].map((k) => one.indices[t + k]);
      const p = (i: number) => Array.from(one.positions.subarray(3 * i, 3 * i + 3));
      const [pa, pb, pc] = [p(a), p(b), p(c)];
      const u = pb.map((v, i) => v - pa[i]);
      const w = pc.map((v, i) => v - pa[i]);
      const cross = [
        u[1] * w[2] - u[2] * w[1],
        u[2] * w[0] - u[0] * w[2],
        u[0] * w[1] - u[1] * w[0],
      ];
      const n = p(a).map((_, i) => one.normals[3 * a + i]);
      expect(cross[0] * n[0] + cross[1] * n[1] + cross[2] * n[2]).toBeGreaterThan(0);
    }
    const two = voxelSurface(
      grid(4, [
        [1, 1, 1],
        [2, 1, 1],
      ]),
    );
    expect(two.indices.length / 3).toBe(20);
    expect(isClosedManifold(two)).toBe(true);
    expect(Math.max(...one.positions)).toBeLessThanOrEqual(0.5);
    expect(Math.min(...one.positions)).toBeGreaterThanOrEqual(-0.5);
  });

  it('GLB passes the Khronos glTF validator with no errors; OBJ and PLY carry the same mesh', async () => {
    const cells: [number, number, number][] = [];
    for (let x = 0; x < 6; x++) for (let y = 0; y < 3; y++) cells.push([x, y, x % 2]);
    const mesh = voxelSurface(grid(8, cells));
    const glb = await writeGlb(mesh);
    const report = await validateGlb(glb);
    expect(report.issues.numErrors, JSON.stringify(report.issues.messages.slice(0, 5))).toBe(0);
    expect(report.info.totalTriangleCount).toBe(mesh.indices.length / 3);
    const obj = writeObj(mesh);
    expect(obj.match(/^v /gm)).toHaveLength(mesh.positions.length / 3);
    expect(obj.match(/^f /gm)).toHaveLength(mesh.indices.length / 3);
    const ply = writePly(mesh);
    const header = new TextDecoder().decode(ply.subarray(0, 400));
    expect(header).toContain(`element vertex ${mesh.positions.length / 3}`);
    const headerBytes = header.indexOf('end_header\n') + 'end_header\n'.length;
    expect(ply.length).toBe(
      headerBytes + (mesh.positions.length / 3) * 24 + (mesh.indices.length / 3) * 13,
    );
  });

  it('packs one bit per voxel and back; connected components; previews are non-blank', () => {
    const g = grid(4, [
      [0, 0, 0],
      [1, 1, 1],
      [3, 3, 3],
    ]);
    const bits = packVoxels(g);
    expect(bits.length).toBe(8);
    expect(Array.from(unpackVoxels(bits, 4).voxels)).toEqual(Array.from(g.voxels));
    expect(occupiedCount(g)).toBe(3);
    // (0,0,0) and (1,1,1) touch at a corner (26-connected); (3,3,3) is apart.
    expect(largestComponentShare(g)).toBeCloseTo(2 / 3, 12);
    expect(() => unpackVoxels(new Uint8Array(2), 4)).toThrow(/fewer than 64/);
    const png = PNG.sync.read(renderVoxelsPng(g, 64));
    const nonWhite = (img: PNG) => {
      let n = 0;
      for (let i = 0; i < img.data.length; i += 4) if (img.data[i] < 250) n++;
      return n;
    };
    expect(nonWhite(png)).toBeGreaterThan(50);
    expect(nonWhite(PNG.sync.read(renderVoxelsPng(grid(4, []), 64)))).toBe(0);
    // Four views in a 2 × 2 sheet (2 px gaps); an asymmetric shape looks different from each side.
    const views = PNG.sync.read(
      renderVoxelViewsPng(
        grid(4, [
          [0, 0, 0],
          [0, 1, 0],
          [1, 0, 0],
        ]),
        64,
      ),
    );
    expect([views.width, views.height]).toEqual([130, 130]);
    const quadrant = (qx: number, qy: number) => {
      const out: number[] = [];
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++) out.push(views.data[((qy * 66 + y) * 130 + qx * 66 + x) * 4]);
      return out.join();
    };
    expect(new Set([quadrant(0, 0), quadrant(1, 0), quadrant(0, 1), quadrant(1, 1)]).size).toBe(4);
  });
});
