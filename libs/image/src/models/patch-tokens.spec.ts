import { describe, expect, it } from 'vitest';
import { PatchTokenDecoder } from './patch-tokens';

const cellMajor = [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15];

describe('PatchTokenDecoder', () => {
  for (const [name, order] of [
    ['raster', Array.from({ length: 16 }, (_, i) => i)],
    ['cell-major', cellMajor],
  ] as const) {
    it(`encode → decode is the identity (${name} order)`, async () => {
      const decoder = new PatchTokenDecoder({
        imageSize: 8,
        patchSize: 2,
        grid: 4,
        tokenDim: 4,
        sequenceOrder: order,
      });
      const image = Float32Array.from({ length: 64 }, (_, i) => (i * 37 % 64) / 63);
      const tokens = decoder.encode(image);
      const out = await decoder.decode({ tokens, images: 1 });
      out.pixels.forEach((v, i) => expect(v).toBeCloseTo(image[i], 6));
    });
  }

  it('places sequence position p at grid cell order[p]; clips to [0, 1]', async () => {
    const decoder = new PatchTokenDecoder({
      imageSize: 4,
      patchSize: 2,
      grid: 2,
      tokenDim: 4,
      sequenceOrder: [3, 0, 1, 2],
    });
    const tokens = new Float32Array(16).fill(-1);
    tokens.fill(3, 0, 4); // position 0 → grid cell 3 (bottom right), beyond 1 → clipped
    const { pixels } = await decoder.decode({ tokens, images: 1 });
    expect(Array.from(pixels)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
  });

  it('keeps only the tokens whose patch has no masked pixel', () => {
    const decoder = new PatchTokenDecoder({
      imageSize: 4,
      patchSize: 2,
      grid: 2,
      tokenDim: 4,
      sequenceOrder: [0, 1, 2, 3],
    });
    const mask = new Float32Array(16);
    mask[5] = 1; // row 1, col 1: patch 0
    mask[10] = 0.4; // below the threshold
    expect(Array.from(decoder.knownTokens(mask))).toEqual([0, 1, 1, 1]);
  });
});
