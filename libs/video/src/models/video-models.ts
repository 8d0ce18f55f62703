import type { Decoder, VideoStepModel } from '@nextx/engine';
import { KvCache, type OnnxGraph, type TensorValue } from '@nextx/runtime';

/** Conditions of an object-motion video model: classes and initial motion per object slot. */
export interface ObjectConditions {
  /** [batch, slots] class ids (the model's "no object" id for empty slots). */
  readonly digits: Int32Array;
  /** [batch, slots, motionDims] normalised motion (zeros for empty slots). */
  readonly motion: Float32Array;
}

/** Shape facts of a video step graph, from its manifest. */
export interface VideoStepDims {
  readonly heads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  /** Most cached entries. */
  readonly capacity: number;
  /** Object slots and motion values per slot. */
  readonly slots: number;
  readonly motionDims: number;
}

/**
 * The exported NBP / next-token video step graph (`input_ids`, `attention_mask`, `position_ids`,
 * `spatial_ids`, `digits`, `motion`, `past_key_values.*` → `logits`, `present.*`) as a
 * {@link VideoStepModel}. Ids, positions, mask, logits and the KV cache live in buffers
 * allocated once; trimming the window moves the kept KV entries to the front in place, and
 * positions keep counting entries of the whole clip across trims, so attention distances are
 * unchanged and `position_ids // tokensPerFrame` stays the predicted token's frame.
 */
export class OnnxVideoStepModel implements VideoStepModel<ObjectConditions> {
  readonly vocabSize: number;
  readonly capacity: number;
  private readonly cache: KvCache;
  private readonly ids: BigInt64Array;
  private readonly spatial: BigInt64Array;
  private readonly positions: BigInt64Array;
  private readonly mask: BigInt64Array;
  private readonly logits: Float32Array;
  private readonly digits: BigInt64Array;
  private readonly motion: Float32Array;
  private nextPosition = 0;

  constructor(
    private readonly graph: OnnxGraph,
    private readonly dims: VideoStepDims,
  ) {
    this.vocabSize = dims.vocabSize;
    this.capacity = dims.capacity;
    this.cache = KvCache.forGraph(graph, { ...dims, maxLength: dims.capacity, maxBatch: 1 });
    this.ids = new BigInt64Array(dims.capacity);
    this.spatial = new BigInt64Array(dims.capacity);
    this.positions = new BigInt64Array(dims.capacity);
    // One sequence, no padding: every cached entry is attended.
    this.mask = new BigInt64Array(dims.capacity).fill(1n);
    this.logits = new Float32Array(dims.capacity * dims.vocabSize);
    this.digits = new BigInt64Array(dims.slots);
    this.motion = new Float32Array(dims.slots * dims.motionDims);
  }

  get length(): number {
    return this.cache.length;
  }

  reset(batch: number, conditions: ObjectConditions, firstPosition = 0): void {
    if (batch !== 1) throw new RangeError(`video step model runs one clip at a time, got ${batch}`);
    this.cache.reset(1);
    this.nextPosition = firstPosition;
    for (let i = 0; i < this.dims.slots; i++) this.digits[i] = BigInt(conditions.digits[i]);
    this.motion.set(conditions.motion.subarray(0, this.motion.length));
  }

  dropOldest(entries: number): void {
    this.cache.dropFront(entries);
  }

  async forward(ids: Int32Array, spatial: Int32Array, count: number): Promise<Float32Array> {
    for (let i = 0; i < count; i++) {
      this.ids[i] = BigInt(ids[i]);
      this.spatial[i] = BigInt(spatial[i]);
      this.positions[i] = BigInt(this.nextPosition + i);
    }
    const total = this.cache.length + count;
    const logits: TensorValue = {
      data: this.logits.subarray(0, count * this.vocabSize),
      dims: [1, count, this.vocabSize],
    };
    await this.graph.run(
      {
        input_ids: { data: this.ids.subarray(0, count), dims: [1, count] },
        attention_mask: { data: this.mask.subarray(0, total), dims: [1, total] },
        position_ids: { data: this.positions.subarray(0, count), dims: [1, count] },
        spatial_ids: { data: this.spatial.subarray(0, count), dims: [1, count] },
        digits: { data: this.digits, dims: [1, this.dims.slots] },
        motion: { data: this.motion, dims: [1, this.dims.slots, this.dims.motionDims] },
        ...this.cache.pastFeeds(),
      },
      { logits, ...this.cache.presentOutputs(count) },
    );
    this.cache.advance(count);
    this.nextPosition += count;
    return logits.data as Float32Array;
  }
}

/** A frame: grey pixels row-major [size, size] in [0, 1]. */
export interface VideoFrame {
  readonly pixels: Float32Array;
  readonly size: number;
}

/** The per-frame VQ decoder graph: `codes` [B, tokens] (int64) → `frames` [B, 1, H, W]. */
export class OnnxFrameDecoder implements Decoder<Int32Array, VideoFrame> {
  constructor(
    private readonly graph: OnnxGraph,
    private readonly tokensPerFrame: number,
  ) {}

  async decode(codes: Int32Array): Promise<VideoFrame> {
    // Per call (64 ids): concurrent generations share the decoder while a run is in flight.
    const ids = BigInt64Array.from(codes.subarray(0, this.tokensPerFrame), (c) => BigInt(c));
    const out = await this.graph.run({ codes: { data: ids, dims: [1, this.tokensPerFrame] } });
    const frames = out['frames'];
    const size = frames.dims[frames.dims.length - 1];
    return { pixels: Float32Array.from(frames.data as Float32Array), size };
  }
}
