import type { Decoder } from '@nextx/engine';
import type { PixelBatch } from '@nextx/media';
import type { OnnxGraph } from '@nextx/runtime';

/** Decoded images, row-major [images, channels, height, width], values in [0, 1]: what the PNG encoder takes. */
export type ImageBatch = PixelBatch;

/** A VQ decoder graph: code indices [B, tokens] (`codes`, int64) → `image` [B, C, H, W]. */
export class OnnxCodeDecoder implements Decoder<{ codes: Int32Array; images: number }, ImageBatch> {
  constructor(
    private readonly graph: OnnxGraph,
    private readonly tokensPerImage: number,
  ) {}

  async decode({ codes, images }: { codes: Int32Array; images: number }): Promise<ImageBatch> {
    const ids = BigInt64Array.from(codes.subarray(0, images * this.tokensPerImage), (c) =>
      BigInt(c),
    );
    const out = await this.graph.run({ codes: { data: ids, dims: [images, this.tokensPerImage] } });
    const [, channels, height, width] = out.image.dims;
    return { pixels: out.image.data as Float32Array, images, channels, height, width };
  }
}
