import type {
  Decoder,
  RowBlock,
  RowScaleStepModel,
  ScaleAccumulator,
  ScaleStepModel,
} from '@nextx/engine';
import { KvCache, type OnnxGraph, type TensorValue } from '@nextx/runtime';
import type { ImageBatch } from './code-decoder';

/** Shapes of a VAR model. */
export interface VarDims {
  readonly heads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  /** Latent channels of f̂ and of next-scale inputs. */
  readonly channels: number;
  /** Side of f̂ (the last scale). */
  readonly latentSize: number;
  /** Total tokens over all scales (cache capacity). */
  readonly totalTokens: number;
  readonly maxBatch: number;
}

/** The `var_step` graph (one scale per call, explicit KV cache) as a {@link ScaleStepModel}. */
export class VarStepModel implements ScaleStepModel {
  readonly vocabSize: number;
  private readonly cache: KvCache;
  private readonly labels: BigInt64Array;
  private readonly logits: Float32Array;

  constructor(
    private readonly graph: OnnxGraph,
    private readonly dims: VarDims,
  ) {
    this.vocabSize = dims.vocabSize;
    this.cache = KvCache.forGraph(graph, { ...dims, maxLength: dims.totalTokens });
    this.labels = new BigInt64Array(dims.maxBatch);
    this.logits = new Float32Array(dims.maxBatch * dims.latentSize ** 2 * dims.vocabSize);
  }

  reset(batch: number): void {
    this.cache.reset(batch);
  }

  async forward(
    inputs: Float32Array,
    newLength: number,
    classLabels: Int32Array,
  ): Promise<Float32Array> {
    const batch = this.cache.batch;
    for (let i = 0; i < batch; i++) this.labels[i] = BigInt(classLabels[i]);
    const logits: TensorValue = {
      data: this.logits.subarray(0, batch * newLength * this.vocabSize),
      dims: [batch, newLength, this.vocabSize],
    };
    await this.graph.run(
      {
        inputs_embeds: {
          data: inputs.subarray(0, batch * newLength * this.dims.channels),
          dims: [batch, newLength, this.dims.channels],
        },
        class_labels: { data: this.labels.subarray(0, batch), dims: [batch] },
        ...this.cache.pastFeeds(),
      },
      { logits, ...this.cache.presentOutputs(newLength) },
    );
    this.cache.advance(newLength);
    return logits.data as Float32Array;
  }

  /** Keeps only `blocks` of rows, packed from row 0 (a fused round sheds a member's rows). */
  keepRows(blocks: readonly RowBlock[]): void {
    let to = 0;
    const moves = blocks.map((b) => ({ from: b.first, to: (to += b.rows) - b.rows, rows: b.rows }));
    this.cache.relayout(moves, to, this.cache.length);
  }
}

/**
 * The step model of a fused VAR round: a {@link VarStepModel} whose buffers grow (by powers of
 * two, up to `maxRows`) with the largest round seen, so a large row budget costs memory only once
 * rounds that large run.
 */
export class GrowingVarStepModel implements RowScaleStepModel {
  readonly vocabSize: number;
  private model?: VarStepModel;
  private capacity = 0;

  constructor(
    private readonly graph: OnnxGraph,
    private readonly dims: VarDims,
    readonly maxRows: number,
  ) {
    this.vocabSize = dims.vocabSize;
  }

  reset(batch: number): void {
    if (batch > this.maxRows) throw new RangeError(`batch ${batch} > ${this.maxRows} rows`);
    if (batch > this.capacity) {
      this.capacity = Math.min(this.maxRows, 2 ** Math.ceil(Math.log2(batch)));
      this.model = new VarStepModel(this.graph, { ...this.dims, maxBatch: this.capacity });
    }
    this.model!.reset(batch);
  }

  forward(inputs: Float32Array, newLength: number, classLabels: Int32Array): Promise<Float32Array> {
    if (!this.model) throw new Error('reset() first');
    return this.model.forward(inputs, newLength, classLabels);
  }

  keepRows(blocks: readonly RowBlock[]): void {
    this.model?.keepRows(blocks);
  }
}

/** The `var_scale_update` graph: codebook look-up, upsampling, φ, f̂ +=, area-downsampling. */
export class VarScaleAccumulator implements ScaleAccumulator {
  readonly channels: number;

  constructor(
    private readonly graph: OnnxGraph,
    private readonly dims: VarDims,
  ) {
    this.channels = dims.channels;
  }

  empty(batch: number): Float32Array {
    return new Float32Array(batch * this.dims.channels * this.dims.latentSize ** 2);
  }

  async update(fHat: Float32Array, codes: Int32Array, batch: number, scaleIndex: number) {
    const { channels, latentSize } = this.dims;
    const tokens = codes.length / batch;
    const out = await this.graph.run({
      f_hat: { data: fHat, dims: [batch, channels, latentSize, latentSize] },
      indices: { data: BigInt64Array.from(codes, (c) => BigInt(c)), dims: [batch, tokens] },
      scale_index: { data: BigInt64Array.of(BigInt(scaleIndex)), dims: [] },
    });
    return {
      fHat: out.f_hat_out.data as Float32Array,
      nextInputs: out.next_inputs.data as Float32Array,
    };
  }
}

/** The `var_decoder` graph: f̂ [B, C, h, w] → image [B, 1, 32, 32] in [0, 1]. */
export class VarFhatDecoder implements Decoder<{ fHat: Float32Array; images: number }, ImageBatch> {
  constructor(
    private readonly graph: OnnxGraph,
    private readonly dims: VarDims,
  ) {}

  async decode({ fHat, images }: { fHat: Float32Array; images: number }): Promise<ImageBatch> {
    const { channels, latentSize } = this.dims;
    const out = await this.graph.run({
      f_hat: { data: fHat, dims: [images, channels, latentSize, latentSize] },
    });
    const [, c, height, width] = out.image.dims;
    return { pixels: out.image.data as Float32Array, images, channels: c, height, width };
  }
}

/** The VAR `encoder` graph (var_encoder.onnx): image [B, 1, 32, 32] in [0, 1] → multi-scale token maps [B, L]. */
export class VarEncoder {
  constructor(private readonly graph: OnnxGraph) {}

  async encode(batch: ImageBatch): Promise<Int32Array> {
    const out = await this.graph.run(
      {
        image: {
          data: batch.pixels,
          dims: [batch.images, batch.channels, batch.height, batch.width],
        },
      },
      {},
      ['indices'],
    );
    return Int32Array.from(out.indices.data as BigInt64Array, Number);
  }
}

/**
 * Which tokens of each scale lie outside the mask (and are therefore teacher-forced): a token is
 * kept when less than half of its cell, area-downsampled from the pixel mask, is masked.
 * @param mask [height × width], 1 = regenerate
 */
export function keptTokens(
  mask: Float32Array,
  height: number,
  width: number,
  scales: readonly number[],
): Uint8Array {
  const keep = new Uint8Array(scales.reduce((s, pn) => s + pn * pn, 0));
  let offset = 0;
  for (const pn of scales) {
    for (let y = 0; y < pn; y++) {
      for (let x = 0; x < pn; x++) {
        const [y0, y1] = [Math.floor((y * height) / pn), Math.floor(((y + 1) * height) / pn)];
        const [x0, x1] = [Math.floor((x * width) / pn), Math.floor(((x + 1) * width) / pn)];
        let masked = 0;
        for (let yy = y0; yy < y1; yy++)
          for (let xx = x0; xx < x1; xx++) masked += mask[yy * width + xx] > 0.5 ? 1 : 0;
        keep[offset + y * pn + x] = masked < 0.5 * (y1 - y0) * (x1 - x0) ? 1 : 0;
      }
    }
    offset += pn * pn;
  }
  return keep;
}
