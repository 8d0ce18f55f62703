import type { Decoder, ScaleAccumulator, ScaleStepModel } from '@nextx/engine';
import { KvCache } from '../kv/kv-cache';
import { countLayers } from '../manifest/family-contracts';
import type { OnnxGraph, TensorValue } from '../session/onnx-graph';
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
    this.cache = new KvCache(countLayers(graph.inputNames), dims.heads, dims.headDim, dims.totalTokens, dims.maxBatch);
    this.labels = new BigInt64Array(dims.maxBatch);
    this.logits = new Float32Array(dims.maxBatch * dims.latentSize ** 2 * dims.vocabSize);
  }

  reset(batch: number): void {
    this.cache.reset(batch);
  }

  async forward(inputs: Float32Array, newLength: number, classLabels: Int32Array): Promise<Float32Array> {
    const batch = this.cache.batch;
    for (let i = 0; i < batch; i++) this.labels[i] = BigInt(classLabels[i]);
    const logits: TensorValue = { data: this.logits.subarray(0, batch * newLength * this.vocabSize), dims: [batch, newLength, this.vocabSize] };
    await this.graph.run(
      {
        inputs_embeds: { data: inputs.subarray(0, batch * newLength * this.dims.channels), dims: [batch, newLength, this.dims.channels] },
        class_labels: { data: this.labels.subarray(0, batch), dims: [batch] },
        ...this.cache.pastFeeds(),
      },
      { logits, ...this.cache.presentOutputs(newLength) },
    );
    this.cache.advance(newLength);
    return logits.data as Float32Array;
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
    return { fHat: out.f_hat_out.data as Float32Array, nextInputs: out.next_inputs.data as Float32Array };
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
    const out = await this.graph.run({ f_hat: { data: fHat, dims: [images, channels, latentSize, latentSize] } });
    const [, c, height, width] = out.image.dims;
    return { pixels: out.image.data as Float32Array, images, channels: c, height, width };
  }
}
