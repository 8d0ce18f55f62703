import { encodeGridPng, encodePng, type PixelBatch } from '../png/png-encoder';
import { voxelIndex, type VoxelGrid } from './voxel-grid';

/**
 * A small isometric view of a voxel grid as PNG (RGB): every visible voxel face (+x, +y, +z:
 * the camera looks from (1, 1, 1)) is rasterised with a depth buffer and flat shading, so a
 * preview after each octree level shows the shape at that level's resolution. Empty grids give
 * a blank image.
 */
export function renderVoxelsPng(grid: VoxelGrid, size = 128): Buffer {
  return encodePng({
    pixels: renderPixels(grid, size),
    images: 1,
    channels: 3,
    height: size,
    width: size,
  });
}

/**
 * Four isometric views of a grid in one PNG (2 × 2): seen from the front-right, front-left,
 * back-right and back-left corners (the grid turned about its vertical axis, y up), so a person
 * can look at a generated shape from the command line without a 3D viewer.
 */
export function renderVoxelViewsPng(grid: VoxelGrid, size = 128): Buffer {
  const r = grid.resolution;
  const turned = (mirrorX: boolean, mirrorZ: boolean): VoxelGrid => {
    const voxels = new Uint8Array(grid.voxels.length);
    for (let z = 0; z < r; z++)
      for (let y = 0; y < r; y++)
        for (let x = 0; x < r; x++)
          voxels[voxelIndex(r, mirrorX ? r - 1 - x : x, y, mirrorZ ? r - 1 - z : z)] =
            grid.voxels[voxelIndex(r, x, y, z)];
    return { resolution: r, voxels };
  };
  const views = [
    turned(false, false),
    turned(true, false),
    turned(false, true),
    turned(true, true),
  ];
  const plane = 3 * size * size;
  const pixels = new Float32Array(views.length * plane);
  views.forEach((view, i) => pixels.set(renderPixels(view, size), i * plane));
  const batch: PixelBatch = {
    pixels,
    images: views.length,
    channels: 3,
    height: size,
    width: size,
  };
  return encodeGridPng(batch, [0, 1, 2, 3], 2);
}

/** The RGB planes [3, size, size] of one isometric view (camera at (1, 1, 1), y up). */
function renderPixels(grid: VoxelGrid, size: number): Float32Array {
  const r = grid.resolution;
  const pixels = new Float32Array(3 * size * size).fill(1);
  const depth = new Float32Array(size * size).fill(-Infinity);
  const cos30 = Math.cos(Math.PI / 6);
  // Projected extent of the unit cube: x from −cos30 to cos30, y from −1 to 1 (with margin).
  const scale = (size * 0.9) / 2;
  const project = (x: number, y: number, z: number): [number, number, number] => [
    size / 2 + (x - z) * cos30 * scale,
    size / 2 - (y - (x + z) * 0.5) * scale,
    x + y + z,
  ];
  const shades = [
    [0.55, 0.62, 0.75],
    [0.85, 0.88, 0.95],
    [0.4, 0.45, 0.58],
  ];
  const faces = [
    { axis: 0, u: 1, v: 2 },
    { axis: 1, u: 2, v: 0 },
    { axis: 2, u: 0, v: 1 },
  ];
  const at = (x: number, y: number, z: number) =>
    x < r && y < r && z < r && grid.voxels[voxelIndex(r, x, y, z)] === 1;
  for (let z = 0; z < r; z++)
    for (let y = 0; y < r; y++)
      for (let x = 0; x < r; x++) {
        if (!at(x, y, z)) continue;
        faces.forEach((face, f) => {
          const cell = [x, y, z];
          const next = [...cell];
          next[face.axis]++;
          if (at(next[0], next[1], next[2])) return;
          const corners = [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ].map(([du, dv]) => {
            const p = [...next];
            p[face.u] += du;
            p[face.v] += dv;
            return project(p[0] / r - 0.5, p[1] / r - 0.5, p[2] / r - 0.5);
          });
          fillTriangle(corners[0], corners[1], corners[2], shades[f], pixels, depth, size);
          fillTriangle(corners[0], corners[2], corners[3], shades[f], pixels, depth, size);
        });
      }
  return pixels;
}

function fillTriangle(
  a: [number, number, number],
  b: [number, number, number],
  c: [number, number, number],
  colour: number[],
  pixels: Float32Array,
  depth: Float32Array,
  size: number,
): void {
  const area = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]);
  if (area === 0) return;
  const minX = Math.max(0, Math.floor(Math.min(a[0], b[0], c[0])));
  const maxX = Math.min(size - 1, Math.ceil(Math.max(a[0], b[0], c[0])));
  const minY = Math.max(0, Math.floor(Math.min(a[1], b[1], c[1])));
  const maxY = Math.min(size - 1, Math.ceil(Math.max(a[1], b[1], c[1])));
  const plane = size * size;
  for (let py = minY; py <= maxY; py++)
    for (let px = minX; px <= maxX; px++) {
      const x = px + 0.5;
      const y = py + 0.5;
      const w0 = ((b[0] - x) * (c[1] - y) - (c[0] - x) * (b[1] - y)) / area;
      const w1 = ((c[0] - x) * (a[1] - y) - (a[0] - x) * (c[1] - y)) / area;
      const w2 = 1 - w0 - w1;
      if (w0 < 0 || w1 < 0 || w2 < 0) continue;
      const d = w0 * a[2] + w1 * b[2] + w2 * c[2];
      const i = py * size + px;
      if (d <= depth[i]) continue;
      depth[i] = d;
      for (let ch = 0; ch < 3; ch++) pixels[ch * plane + i] = colour[ch];
    }
}
