import type { ContinuousTokens, Decoder } from '@nextx/engine';
import type { ImageBatch } from './code-decoder';

/** `contract.tokens` of a continuous-token image model (tools/models/nextx_models/patch_tokens.py). */
export interface PatchTokenLayout {
  /** Side of the square image, pixels. */
  readonly imageSize: number;
  /** Side of a patch, pixels. */
  readonly patchSize: number;
  /** Patches per side. */
  readonly grid: number;
  /** Values per token (patchSize²). */
  readonly tokenDim: number;
  /**
   * Grid index (row · grid + column) of each position of the model's sequence; the identity for
   * raster order, cell-major for xAR.
   */
  readonly sequenceOrder: readonly number[];
}

/**
 * Continuous tokens as raw pixel patches: token = the patch's values in [−1, 1], row-major
 * inside the patch; pixel = (v + 1)/2, clipped. Decoding is a re-arrangement, no graph.
 */
export class PatchTokenDecoder implements Decoder<ContinuousTokens, ImageBatch> {
  constructor(readonly layout: PatchTokenLayout) {}

  async decode({ tokens, images }: ContinuousTokens): Promise<ImageBatch> {
    const { imageSize, patchSize, grid, tokenDim, sequenceOrder } = this.layout;
    const pixels = new Float32Array(images * imageSize * imageSize);
    const perImage = sequenceOrder.length * tokenDim;
    for (let i = 0; i < images; i++) {
      sequenceOrder.forEach((cell, position) => {
        const [row, col] = [Math.floor(cell / grid), cell % grid];
        for (let y = 0; y < patchSize; y++)
          for (let x = 0; x < patchSize; x++) {
            const v = tokens[i * perImage + position * tokenDim + y * patchSize + x];
            const at = i * imageSize * imageSize + (row * patchSize + y) * imageSize + col * patchSize + x;
            pixels[at] = Math.min(1, Math.max(0, (v + 1) / 2));
          }
      });
    }
    return { pixels, images, channels: 1, height: imageSize, width: imageSize };
  }

  /** One grey image [size × size] in [0, 1] → its tokens [L, tokenDim] in sequence order. */
  encode(image: Float32Array): Float32Array {
    const { imageSize, patchSize, grid, tokenDim, sequenceOrder } = this.layout;
    const out = new Float32Array(sequenceOrder.length * tokenDim);
    sequenceOrder.forEach((cell, position) => {
      const [row, col] = [Math.floor(cell / grid), cell % grid];
      for (let y = 0; y < patchSize; y++)
        for (let x = 0; x < patchSize; x++)
          out[position * tokenDim + y * patchSize + x] =
            image[(row * patchSize + y) * imageSize + col * patchSize + x] * 2 - 1;
    });
    return out;
  }

  /**
   * Which tokens an in-painting keeps: those whose patch has no masked pixel (mask > 0.5 =
   * regenerate), so the model redraws every patch the region touches. [L], 1 = known.
   */
  knownTokens(mask: Float32Array): Uint8Array {
    const { imageSize, patchSize, grid, sequenceOrder } = this.layout;
    return Uint8Array.from(sequenceOrder, (cell) => {
      const [row, col] = [Math.floor(cell / grid), cell % grid];
      for (let y = 0; y < patchSize; y++)
        for (let x = 0; x < patchSize; x++)
          if (mask[(row * patchSize + y) * imageSize + col * patchSize + x] > 0.5) return 0;
      return 1;
    });
  }
}

/** Reads `contract.tokens` (and the optional cell-major `sequence_order`) of a manifest. */
export function readPatchTokenLayout(tokens: {
  image_size: number;
  patch_size: number;
  grid: number;
  token_dim: number;
  sequence_order?: number[];
}): PatchTokenLayout {
  return {
    imageSize: tokens.image_size,
    patchSize: tokens.patch_size,
    grid: tokens.grid,
    tokenDim: tokens.token_dim,
    sequenceOrder: tokens.sequence_order ?? Array.from({ length: tokens.grid ** 2 }, (_, i) => i),
  };
}
