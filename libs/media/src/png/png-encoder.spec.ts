import { describe, expect, it } from 'vitest';
import { decodePng, encodeGridPng, encodePng } from './png-encoder';

describe('PNG encoding', () => {
  const batch = {
    pixels: Float32Array.from({ length: 2 * 4 * 3 }, (_, i) => (i % 12) / 11),
    images: 2,
    channels: 1,
    height: 4,
    width: 3,
  };

  it('round-trips a grey image to 8-bit precision', () => {
    const back = decodePng(encodePng(batch, 1));
    expect(back).toMatchObject({ images: 1, channels: 1, height: 4, width: 3 });
    back.pixels.forEach((v, i) =>
      expect(Math.abs(v - batch.pixels[12 + i])).toBeLessThanOrEqual(0.5 / 255 + 1e-6),
    );
  });

  it('lays images out in a grid with gaps', () => {
    const grid = decodePng(encodeGridPng(batch, [0, 1, 0], 2));
    expect(grid.width).toBe(2 * 3 + 2);
    expect(grid.height).toBe(2 * 4 + 2);
  });

  it('is byte-identical for identical pixels', () => {
    expect(encodePng(batch, 0).equals(encodePng(batch, 0))).toBe(true);
  });
});
