import type { SharedPromptStepModel } from '@nextx/engine';
import { KvCache } from '../kv/kv-cache';
import type { OnnxGraph, TensorValue } from '../session/onnx-graph';

/** Shape facts of a decoder, from its manifest. */
export interface DecoderDims {
  readonly heads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly maxBatch: number;
}

/**
 * A Hugging Face Optimum decoder graph (`input_ids`, `attention_mask`, `position_ids`,
 * `past_key_values.*` → `logits`, `present.*`) as a {@link TokenStepModel}. All per-step tensors
 * (ids, mask, positions, logits, KV) live in buffers allocated once; a step only writes the new
 * ids and positions and hands views to onnxruntime — nothing is concatenated or rebuilt.
 */
export class OptimumDecoderStepModel implements SharedPromptStepModel {
  readonly vocabSize: number;
  readonly maxLength: number;
  /** The cache (a fused decoder copies a prefilled prompt out of it). */
  readonly cache: KvCache;
  private readonly ids: BigInt64Array;
  private readonly positions: BigInt64Array;
  private readonly mask: BigInt64Array;
  private readonly logits: Float32Array;

  constructor(
    private readonly graph: OnnxGraph,
    dims: DecoderDims,
  ) {
    this.vocabSize = dims.vocabSize;
    this.maxLength = dims.maxLength;
    this.cache = KvCache.forGraph(graph, dims);
    this.ids = new BigInt64Array(dims.maxBatch * dims.maxLength);
    this.positions = new BigInt64Array(dims.maxBatch * dims.maxLength);
    // All ones: every sequence in a batch has the same length (no padding), so the mask is static.
    this.mask = new BigInt64Array(dims.maxBatch * dims.maxLength).fill(1n);
    this.logits = new Float32Array(dims.maxBatch * dims.maxLength * dims.vocabSize);
  }

  get length(): number {
    return this.cache.length;
  }
  get batch(): number {
    return this.cache.batch;
  }

  reset(batch: number): void {
    this.cache.reset(batch);
  }

  truncate(length: number): void {
    this.cache.truncate(length);
  }

  release(): void {
    // Nothing to free: the buffers are reused by the next generation.
  }

  /** The prompt runs as one row; its cache rows are then copied to `batch` rows. */
  async startShared(prompt: Int32Array, batch: number): Promise<Float32Array> {
    this.cache.reset(1);
    const logits = await this.forward(prompt, prompt.length);
    this.cache.tile(batch);
    return logits.subarray((prompt.length - 1) * this.vocabSize, prompt.length * this.vocabSize);
  }

  async forward(tokens: Int32Array, newLength: number): Promise<Float32Array> {
    const batch = this.cache.batch;
    const past = this.cache.length;
    const count = batch * newLength;
    for (let i = 0; i < count; i++) {
      this.ids[i] = BigInt(tokens[i]);
      this.positions[i] = BigInt(past + (i % newLength));
    }
    const total = past + newLength;
    const logits: TensorValue = {
      data: this.logits.subarray(0, count * this.vocabSize),
      dims: [batch, newLength, this.vocabSize],
    };
    await this.graph.run(
      {
        input_ids: { data: this.ids.subarray(0, count), dims: [batch, newLength] },
        attention_mask: { data: this.mask.subarray(0, batch * total), dims: [batch, total] },
        position_ids: { data: this.positions.subarray(0, count), dims: [batch, newLength] },
        ...this.cache.pastFeeds(),
      },
      { logits, ...this.cache.presentOutputs(newLength) },
    );
    this.cache.advance(newLength);
    return logits.data as Float32Array;
  }
}
