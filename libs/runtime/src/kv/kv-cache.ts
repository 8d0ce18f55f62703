import type { OnnxGraph, TensorValue } from '../session/onnx-graph';
import { countLayers, KV_KINDS, pastName, presentName, type KvKind } from './optimum-names';

/** Buffer sizes of a {@link KvCache}. */
export interface KvCacheShape {
  readonly heads: number;
  readonly headDim: number;
  /** Longest sequence (positions) the buffers hold. */
  readonly maxLength: number;
  /** Largest batch the buffers hold. */
  readonly maxBatch: number;
}

/** Where {@link KvCache.relayout} takes a block of rows from and puts it. */
export interface KvRowMove {
  readonly from: number;
  readonly to: number;
  readonly rows: number;
}

/**
 * KV cache of an Optimum-style decoder in preallocated buffers. The graph reads
 * `past_key_values.*` [B, H, past, D] and writes `present.*` [B, H, past + new, D]; both are views
 * of two fixed buffers per tensor that swap roles every step (onnxruntime writes `present`
 * straight into the spare buffer), so no step allocates or concatenates on the JS side.
 *
 * One cache serves every loop: a dense one appends (and rolls back with {@link truncate}), a
 * windowed one slides with {@link dropFront}, and fused rows of concurrent requests are
 * re-packed with {@link relayout}.
 */
export class KvCache {
  private front: Float32Array[];
  private back: Float32Array[];
  private cached = 0;
  private rows = 0;

  /**
   * @param layers decoder layers (each has a key and a value tensor)
   * @param maxBatch largest batch the buffers hold
   */
  constructor(
    readonly layers: number,
    readonly heads: number,
    readonly headDim: number,
    readonly maxLength: number,
    readonly maxBatch: number,
  ) {
    const size = maxBatch * heads * maxLength * headDim;
    this.front = Array.from({ length: 2 * layers }, () => new Float32Array(size));
    this.back = Array.from({ length: 2 * layers }, () => new Float32Array(size));
  }

  /** A cache for a decoder graph, with as many layers as the graph has `past_key_values.*` inputs. */
  static forGraph(graph: Pick<OnnxGraph, 'inputNames'>, shape: KvCacheShape): KvCache {
    const { heads, headDim, maxLength, maxBatch } = shape;
    return new KvCache(countLayers(graph.inputNames), heads, headDim, maxLength, maxBatch);
  }

  /** Cached positions. */
  get length(): number {
    return this.cached;
  }
  get batch(): number {
    return this.rows;
  }

  /** Empties the cache for `batch` sequences. */
  reset(batch: number): void {
    if (batch > this.maxBatch)
      throw new RangeError(`batch ${batch} > cache capacity ${this.maxBatch}`);
    this.rows = batch;
    this.cached = 0;
  }

  /** `past_key_values.{i}.key|value` feeds for the next step. */
  pastFeeds(): Record<string, TensorValue> {
    return this.views(this.front, this.cached);
  }

  /** Preallocated `present.{i}.key|value` outputs for a step adding `newLength` positions. */
  presentOutputs(newLength: number): Record<string, TensorValue> {
    if (this.cached + newLength > this.maxLength) {
      throw new RangeError(
        `sequence would reach ${this.cached + newLength} > cache capacity ${this.maxLength}`,
      );
    }
    return this.views(this.back, this.cached + newLength, presentName);
  }

  /** After a step: the presents become the next pasts. */
  advance(newLength: number): void {
    [this.front, this.back] = [this.back, this.front];
    this.cached += newLength;
  }

  /**
   * Keeps the first `length` positions. Layout [B, H, T, D] depends on T, so shortening
   * re-packs rows in place (only speculative roll-backs and context trimming pay this).
   */
  truncate(length: number): void {
    if (length >= this.cached) return;
    const { heads, headDim } = this;
    for (const buffer of this.front) {
      for (let bh = 0; bh < this.rows * heads; bh++) {
        buffer.copyWithin(
          bh * length * headDim,
          bh * this.cached * headDim,
          bh * this.cached * headDim + length * headDim,
        );
      }
    }
    this.cached = length;
  }

  /**
   * Drops the oldest `count` positions (a context window sliding forward); the kept positions
   * move to the front of each row in place, so nothing is recomputed or reallocated.
   */
  dropFront(count: number): void {
    if (count <= 0) return;
    if (count >= this.cached) {
      this.cached = 0;
      return;
    }
    const { heads, headDim } = this;
    const kept = this.cached - count;
    for (const buffer of this.front) {
      for (let bh = 0; bh < this.rows * heads; bh++) {
        const from = (bh * this.cached + count) * headDim;
        buffer.copyWithin(bh * kept * headDim, from, from + kept * headDim);
      }
    }
    this.cached = kept;
  }

  /**
   * Re-packs the cache for a new set of rows, as temporal fusion needs when requests join and
   * leave: each move takes `rows` rows starting at row `from` and puts them at row `to`, keeping
   * their last `length` positions (sequences are right-aligned, so what is dropped is leading
   * padding); every row no move fills becomes zeros (padding that `attention_mask` hides, and
   * zeros keep its scores finite). Moves must go in increasing `to`, each with `to <= from`, so
   * the copies run in place without overwriting a row not yet moved.
   */
  relayout(moves: readonly KvRowMove[], batch: number, length: number): void {
    if (batch > this.maxBatch)
      throw new RangeError(`batch ${batch} > cache capacity ${this.maxBatch}`);
    if (length > this.cached && moves.length > 0)
      throw new RangeError(`cannot keep ${length} of ${this.cached} cached positions`);
    const { heads, headDim } = this;
    const oldLength = this.cached;
    const filled = new Uint8Array(batch);
    for (const move of moves) {
      for (let rh = 0; rh < move.rows * heads; rh++) {
        const src = ((move.from * heads + rh) * oldLength + (oldLength - length)) * headDim;
        const dst = (move.to * heads + rh) * length * headDim;
        for (const buffer of this.front) buffer.copyWithin(dst, src, src + length * headDim);
      }
      filled.fill(1, move.to, move.to + move.rows);
    }
    const span = heads * length * headDim;
    for (let row = 0; row < batch; row++)
      if (!filled[row])
        for (const buffer of this.front) buffer.fill(0, row * span, (row + 1) * span);
    this.rows = batch;
    this.cached = length;
  }

  private views(
    buffers: Float32Array[],
    length: number,
    name: (layer: number, kind: KvKind) => string = pastName,
  ): Record<string, TensorValue> {
    const dims = [this.rows, this.heads, length, this.headDim];
    const size = this.rows * this.heads * length * this.headDim;
    const out: Record<string, TensorValue> = {};
    for (let i = 0; i < this.layers; i++)
      KV_KINDS.forEach((kind, k) => {
        out[name(i, kind)] = { data: buffers[2 * i + k].subarray(0, size), dims };
      });
    return out;
  }
}
