import { describe, expect, it } from 'vitest';
import { decodePng, encodePng } from './png-encoder';
import { checkPngHeader, PngRejectedError, readPngHeader } from './png-header';
import { pngDeclaring } from '../testing/png-declaring';

describe('PNG header checks', () => {
  const limits = { maxSide: 64, maxDecodedBytes: 64 * 64 * 4 };

  it('reads the declared size of a real PNG without decoding it', () => {
    const png = encodePng({
      pixels: new Float32Array(6),
      images: 1,
      channels: 1,
      height: 2,
      width: 3,
    });
    expect(readPngHeader(png)).toMatchObject({ width: 3, height: 2, bitDepth: 8 });
    expect(checkPngHeader(png, limits)).toMatchObject({ width: 3, height: 2 });
    expect(decodePng(png, 1, limits).width).toBe(3);
  });

  it('refuses a 69-byte PNG declaring 65535×65535 before decoding it', () => {
    const bomb = pngDeclaring(65535, 65535);
    expect(bomb.length).toBeLessThan(100);
    const started = performance.now();
    expect(() => decodePng(bomb, 1, limits)).toThrow(PngRejectedError);
    expect(() => decodePng(bomb, 1, limits)).toThrow('declares 65535×65535 (limit: sides 1 … 64)');
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('refuses non-PNG bytes and sizes over the decoded-bytes limit', () => {
    expect(() => readPngHeader(new Uint8Array([1, 2, 3]))).toThrow('not a PNG');
    expect(() =>
      checkPngHeader(pngDeclaring(64, 64), { maxSide: 64, maxDecodedBytes: 100 }),
    ).toThrow('16384 decoded bytes (limit: 100)');
    expect(() => checkPngHeader(pngDeclaring(0, 5), limits)).toThrow('declares 0×5');
  });
});
