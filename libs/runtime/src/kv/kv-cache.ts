import { reusableValue, type OnnxGraph, type TensorValue } from '../session/onnx-graph';
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
  private readonly memo = new Map<Float32Array[], Map<number, Record<string, TensorValue>>>();

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
   * leave: each move takes `rows` rows starting at row `from` and puts them at row `to`,
   * right-aligned in the new `length` (sequences are right-aligned, so a shorter length drops
   * leading padding and a longer one adds it, for a newcomer with a longer prefix); every
   * position no move fills becomes zeros (padding that `attention_mask` hides, and zeros keep its
   * scores finite). The rows are written into the spare buffers (free between steps), which then
   * become the cache, so moves may go in any order.
   */
  relayout(moves: readonly KvRowMove[], batch: number, length: number): void {
    if (batch > this.maxBatch)
      throw new RangeError(`batch ${batch} > cache capacity ${this.maxBatch}`);
    if (length > this.maxLength)
      throw new RangeError(`length ${length} > cache capacity ${this.maxLength}`);
    const { heads, headDim } = this;
    const oldLength = this.cached;
    const kept = Math.min(length, oldLength);
    const span = heads * length * headDim;
    this.back.forEach((buffer) => buffer.fill(0, 0, batch * span));
    for (const move of moves) {
      for (let rh = 0; rh < move.rows * heads; rh++) {
        const src = ((move.from * heads + rh) * oldLength + (oldLength - kept)) * headDim;
        const dst = ((move.to * heads + rh) * length + (length - kept)) * headDim;
        this.front.forEach((buffer, i) =>
          this.back[i].set(buffer.subarray(src, src + kept * headDim), dst),
        );
      }
    }
    [this.front, this.back] = [this.back, this.front];
    this.rows = batch;
    this.cached = length;
  }

  /**
   * Copies row 0 of `source` (a one-row cache holding a prefilled prompt) into rows
   * `[to, to + rows)`, right-aligned in this cache's length: a prompt computed once becomes the
   * start of `rows` sequences (Chronos' sample paths) without running it `rows` times.
   */
  place(source: KvCache, to: number, rows: number): void {
    const { heads, headDim } = this;
    const length = source.cached;
    if (source.layers !== this.layers || source.heads !== heads || source.headDim !== headDim)
      throw new RangeError('place: source cache has another shape');
    if (length > this.cached)
      throw new RangeError(`place: ${length} positions do not fit in ${this.cached}`);
    if (to + rows > this.rows) throw new RangeError(`place: rows ${to}+${rows} > ${this.rows}`);
    for (let r = to; r < to + rows; r++) {
      for (let h = 0; h < heads; h++) {
        const src = h * length * headDim;
        const dst = ((r * heads + h) * this.cached + (this.cached - length)) * headDim;
        this.front.forEach((buffer, i) =>
          buffer.set(source.front[i].subarray(src, src + length * headDim), dst),
        );
      }
    }
  }

  /** Turns a one-row cache into `batch` copies of that row (a prompt shared by every row). */
  tile(batch: number): void {
    if (this.rows !== 1) throw new RangeError(`tile: the cache has ${this.rows} rows, not 1`);
    if (batch > this.maxBatch)
      throw new RangeError(`batch ${batch} > cache capacity ${this.maxBatch}`);
    const span = this.heads * this.cached * this.headDim;
    for (const buffer of this.front)
      for (let r = 1; r < batch; r++) buffer.copyWithin(r * span, 0, span);
    this.rows = batch;
  }

  /**
   * The named views of `buffers` at `length`, built once per (buffers, rows, length, names) and
   * reused: a decode step then allocates no view, no dims array and no name string, and the
   * graph reuses the onnxruntime tensors it made for them ({@link OnnxGraph.run}).
   */
  private views(
    buffers: Float32Array[],
    length: number,
    name: (layer: number, kind: KvKind) => string = pastName,
  ): Record<string, TensorValue> {
    let memo = this.memo.get(buffers);
    if (!memo) this.memo.set(buffers, (memo = new Map()));
    const key = ((this.rows * (this.maxLength + 1) + length) << 1) | (name === pastName ? 0 : 1);
    const hit = memo.get(key);
    if (hit) return hit;
    const dims = [this.rows, this.heads, length, this.headDim];
    const size = this.rows * this.heads * length * this.headDim;
    const out: Record<string, TensorValue> = {};
    for (let i = 0; i < this.layers; i++)
      KV_KINDS.forEach((kind, k) => {
        out[name(i, kind)] = reusableValue(buffers[2 * i + k].subarray(0, size), dims);
      });
    // Bounded: a long-lived cache that sees many batch sizes and lengths starts over.
    if (memo.size >= MAX_MEMOIZED_VIEWS) memo.clear();
    memo.set(key, out);
    return out;
  }
}

/** Most view records a cache keeps per buffer set (rows × lengths × past/present). */
const MAX_MEMOIZED_VIEWS = 4096;
