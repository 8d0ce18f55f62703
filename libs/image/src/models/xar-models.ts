import type { RowBlock, RowCellVelocityModel } from '@nextx/engine';
import { KvCache, type OnnxGraph, type TensorValue } from '@nextx/runtime';

/** Shapes of an xAR step graph. */
export interface XarDims {
  readonly heads: number;
  readonly headDim: number;
  readonly tokenDim: number;
  readonly cellSize: number;
  readonly cellCount: number;
  /** Most rows of a batch. */
  readonly maxBatch: number;
}

/**
 * The `xar_step` graph (one solver step of one cell) as a {@link CellVelocityModel}. The cache
 * holds the clean cells only, in preallocated buffers: a step that feeds the noisy cell alone
 * writes its present into the spare buffer and leaves the cache as it was; the step that
 * prepends the clean previous cell advances the cache and drops the noisy cell's entries.
 */
export class OnnxCellVelocityModel implements RowCellVelocityModel {
  readonly tokenDim: number;
  readonly cellSize: number;
  readonly cellCount: number;
  /** Most rows: buffers grow (by powers of two) up to it with the largest batch seen. */
  readonly maxRows: number;
  private cache!: KvCache;
  private capacity = 0;
  private labels = new BigInt64Array(0);
  private inputs = new Float32Array(0);
  private times = new Float32Array(0);
  private positions = new BigInt64Array(0);
  private velocities = new Float32Array(0);

  constructor(
    private readonly graph: OnnxGraph,
    private readonly dims: XarDims,
  ) {
    this.tokenDim = dims.tokenDim;
    this.cellSize = dims.cellSize;
    this.cellCount = dims.cellCount;
    this.maxRows = dims.maxBatch;
  }

  reset(batch: number): void {
    if (batch > this.maxRows) throw new RangeError(`batch ${batch} > ${this.maxRows} rows`);
    if (batch > this.capacity) this.grow(Math.min(this.maxRows, 2 ** Math.ceil(Math.log2(batch))));
    this.cache.reset(batch);
  }

  /** Keeps only `blocks` of rows, packed from row 0 (a fused round sheds a member's rows). */
  keepRows(blocks: readonly RowBlock[]): void {
    let to = 0;
    const moves = blocks.map((b) => ({ from: b.first, to: (to += b.rows) - b.rows, rows: b.rows }));
    this.cache.relayout(moves, to, this.cache.length);
  }

  private grow(rows: number): void {
    const { dims } = this;
    // Room for every clean cell but the last, plus the two cells of one call.
    this.cache = KvCache.forGraph(this.graph, {
      heads: dims.heads,
      headDim: dims.headDim,
      maxLength: (dims.cellCount + 1) * dims.cellSize,
      maxBatch: rows,
    });
    const seq = 2 * dims.cellSize;
    this.labels = new BigInt64Array(rows);
    this.inputs = new Float32Array(rows * seq * dims.tokenDim);
    this.times = new Float32Array(rows * seq);
    this.positions = new BigInt64Array(rows * seq);
    this.velocities = new Float32Array(rows * seq * dims.tokenDim);
    this.capacity = rows;
  }

  async velocity(
    noisy: Float32Array,
    t: number,
    cell: number,
    classLabels: Int32Array,
    context?: Float32Array,
  ): Promise<Float32Array> {
    const batch = this.cache.batch;
    const { cellSize, tokenDim } = this;
    const seq = context ? 2 * cellSize : cellSize;
    const first = (context ? cell - 1 : cell) * cellSize;
    const cellValues = cellSize * tokenDim;
    for (let r = 0; r < batch; r++) {
      this.labels[r] = BigInt(classLabels[r]);
      const at = r * seq;
      if (context) this.inputs.set(context.subarray(r * cellValues, (r + 1) * cellValues), at * tokenDim);
      this.inputs.set(
        noisy.subarray(r * cellValues, (r + 1) * cellValues),
        (at + seq - cellSize) * tokenDim,
      );
      for (let p = 0; p < seq; p++) {
        // The clean previous cell sits at t = 0; the noisy cell at the solver's time.
        this.times[at + p] = context && p < cellSize ? 0 : t;
        this.positions[at + p] = BigInt(first + p);
      }
    }
    const velocity: TensorValue = {
      data: this.velocities.subarray(0, batch * seq * tokenDim),
      dims: [batch, seq, tokenDim],
    };
    const past = this.cache.length;
    await this.graph.run(
      {
        tokens: { data: this.inputs.subarray(0, batch * seq * tokenDim), dims: [batch, seq, tokenDim] },
        timesteps: { data: this.times.subarray(0, batch * seq), dims: [batch, seq] },
        position_ids: { data: this.positions.subarray(0, batch * seq), dims: [batch, seq] },
        class_labels: { data: this.labels.subarray(0, batch), dims: [batch] },
        ...this.cache.pastFeeds(),
      },
      { velocity, ...this.cache.presentOutputs(seq) },
    );
    if (context) {
      // Keep the clean cell's entries; the noisy cell's change every step.
      this.cache.advance(seq);
      this.cache.truncate(past + cellSize);
    }
    // The velocity of the noisy cell: the last cellSize rows of each batch row.
    if (!context) return velocity.data as Float32Array;
    const out = this.velocities;
    for (let r = 0; r < batch; r++)
      out.copyWithin(r * cellValues, (r * seq + cellSize) * tokenDim, (r + 1) * seq * tokenDim);
    return out.subarray(0, batch * cellValues);
  }
}
