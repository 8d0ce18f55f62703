import { PNG } from 'pngjs';
import { checkPngHeader, type PngLimits } from './png-header';

/** Pixels of one or more images, row-major [images, channels, height, width], values in [0, 1]. */
export interface PixelBatch {
  readonly pixels: Float32Array;
  readonly images: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

const toByte = (v: number) => Math.max(0, Math.min(255, Math.round(v * 255)));

/** Encodes image `index` of the batch as PNG (grey for 1 channel, RGB for 3). */
export function encodePng(batch: PixelBatch, index = 0): Buffer {
  return encodeGridPng(batch, [index], 1);
}

/**
 * Encodes several images of the batch as one PNG grid, `columns` per row, 2 px gaps —
 * e.g. one row per class for a sample sheet.
 */
export function encodeGridPng(
  batch: PixelBatch,
  indices: readonly number[],
  columns: number,
  gap = 2,
): Buffer {
  const { channels, height, width } = batch;
  const rows = Math.ceil(indices.length / columns);
  const png = new PNG({
    width: columns * width + (columns - 1) * gap,
    height: rows * height + (rows - 1) * gap,
  });
  png.data.fill(255);
  const plane = height * width;
  indices.forEach((image, k) => {
    const x0 = (k % columns) * (width + gap);
    const y0 = Math.floor(k / columns) * (height + gap);
    const base = image * channels * plane;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = ((y0 + y) * png.width + x0 + x) * 4;
        for (let c = 0; c < 3; c++)
          png.data[o + c] = toByte(
            batch.pixels[base + (channels === 3 ? c : 0) * plane + y * width + x],
          );
        png.data[o + 3] = 255;
      }
    }
  });
  return PNG.sync.write(png);
}

/**
 * Decodes a PNG into a one-image batch with `channels` channels (1 = grey by luma, 3 = RGB),
 * values in [0, 1]. With `limits`, the header's dimensions are checked before anything is
 * decoded (a `PngRejectedError` when they are over): pass them for untrusted input.
 */
export function decodePng(bytes: Uint8Array, channels: 1 | 3 = 1, limits?: PngLimits): PixelBatch {
  if (limits) checkPngHeader(bytes, limits);
  const png = PNG.sync.read(Buffer.from(bytes));
  const plane = png.width * png.height;
  const pixels = new Float32Array(channels * plane);
  for (let i = 0; i < plane; i++) {
    const [r, g, b] = [png.data[i * 4], png.data[i * 4 + 1], png.data[i * 4 + 2]];
    if (channels === 1) pixels[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    else for (let c = 0; c < 3; c++) pixels[c * plane + i] = [r, g, b][c] / 255;
  }
  return { pixels, images: 1, channels, height: png.height, width: png.width };
}
