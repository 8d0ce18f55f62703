import type { CodebookStepModel, SharedPromptStepModel, TokenStepModel } from '@nextx/engine';
import { KvCache, type KvRowMove } from '../kv/kv-cache';
import type { OnnxGraph, TensorValue } from '../session/onnx-graph';
import { OptimumDecoderStepModel, type DecoderDims } from './optimum-decoder';

interface Member {
  /** Rows of the fused batch this member owns (contiguous, starting at `first`). */
  rows: number;
  first: number;
  /** Positions this member has in the cache. */
  length: number;
  /** A prompt prefilled in a one-row decoder, copied into the member's rows when it is placed. */
  prefix?: OptimumDecoderStepModel;
  /** The member's per-row constant inputs ([rows, width] of {@link FusedDecoderOptions.rowInput}). */
  rowValues?: BigInt64Array;
  /** Tokens waiting for the next step, and who to tell. */
  pending?: {
    tokens: Int32Array;
    resolve: (logits: Float32Array) => void;
    reject: (e: unknown) => void;
  };
  logits: Float32Array;
  active: boolean;
}

/** Shape of a fused decoder's graph beyond the Optimum decoder's. */
export interface FusedDecoderOptions {
  /**
   * Tokens fed and predicted per row and step (MusicGen's codebooks): with K > 1 the graph reads
   * `input_ids` [batch, K, 1] and writes `logits` [batch, K, 1, vocab]. Default 1 (Optimum).
   */
  readonly streams?: number;
  /** An int64 input constant per row for a whole sequence (e.g. `condition` [batch, width]). */
  readonly rowInput?: { readonly name: string; readonly width: number };
}

/** Counters of a fused decoder (how much batching happened). */
export interface FusionStats {
  /** Batched forwards run. */
  steps: number;
  /** Sum over steps of rows in the batch (rowSteps / steps = mean batch). */
  rowSteps: number;
  /** Largest batch seen. */
  maxRows: number;
}

/**
 * Temporal fusion (continuous batching) of one Optimum decoder: concurrent generations each see
 * their own {@link TokenStepModel}, but every step runs all of them in one batched forward.
 * Members join and leave only at step boundaries. Rows are right-aligned in a shared KV cache
 * (a newcomer's earlier positions are padding, masked out by `attention_mask`), each row keeps
 * its own `position_ids`, and the cache is re-packed when members leave — so a request that joins
 * late computes exactly what it would alone.
 */
export class FusedDecoder {
  private readonly cache: KvCache;
  private readonly ids: BigInt64Array;
  private readonly positions: BigInt64Array;
  private readonly mask: BigInt64Array;
  private readonly logits: Float32Array;
  private readonly rowValues?: BigInt64Array;
  private readonly streams: number;
  private members: Member[] = [];
  /** One-row decoders that prefill prompts (reused: their buffers are allocated once). */
  private readonly prefillers: OptimumDecoderStepModel[] = [];
  /** Rows promised to members that are prefilling their prompt, and those waiting for room. */
  private reserved = 0;
  private readonly waiting: { rows: number; admit: () => void }[] = [];
  private running = false;
  /** Members joined or left since the last step. */
  private dirty = false;
  readonly stats: FusionStats = { steps: 0, rowSteps: 0, maxRows: 0 };

  constructor(
    private readonly graph: OnnxGraph,
    readonly dims: DecoderDims,
    private readonly options: FusedDecoderOptions = {},
  ) {
    this.streams = options.streams ?? 1;
    this.cache = KvCache.forGraph(graph, dims);
    this.ids = new BigInt64Array(dims.maxBatch * this.streams);
    this.positions = new BigInt64Array(dims.maxBatch);
    this.mask = new BigInt64Array(dims.maxBatch * dims.maxLength);
    this.logits = new Float32Array(dims.maxBatch * this.streams * dims.vocabSize);
    if (options.rowInput)
      this.rowValues = new BigInt64Array(dims.maxBatch * options.rowInput.width);
  }

  /** Rows in use now (members that left are not counted: their rows are freed before the next step). */
  get rows(): number {
    return this.members.reduce((sum, m) => sum + (m.active ? m.rows : 0), 0);
  }

  /** A new member; it joins the batch at its first `reset`. */
  sequence(): TokenStepModel {
    if (this.streams !== 1 || this.options.rowInput)
      throw new Error('a multi-stream or conditioned decoder serves codebookSequence()');
    return new FusedSequence(this);
  }

  /**
   * A new member that starts from a prompt shared by all its rows (`startShared`): the prompt
   * runs once in a one-row decoder beside the batch, its cache is copied into the member's rows,
   * and from then on the member steps with everyone else. A member that does not fit waits for
   * rows to free up (first come, first served).
   */
  sharedPromptSequence(): SharedPromptStepModel {
    if (this.streams !== 1 || this.options.rowInput)
      throw new Error('a multi-stream or conditioned decoder serves codebookSequence()');
    return new FusedSharedPromptSequence(this);
  }

  /** A new multi-stream member (K tokens per row and step, conditions per row). */
  codebookSequence(): CodebookStepModel {
    return new FusedCodebookSequence(this, this.streams);
  }

  /** @internal Waits until `rows` rows are free, then holds them for a {@link join} with `reserved`. */
  async reserve(rows: number): Promise<void> {
    if (rows > this.dims.maxBatch)
      throw new RangeError(`${rows} rows > fused batch capacity ${this.dims.maxBatch}`);
    if (this.waiting.length === 0 && this.rows + this.reserved + rows <= this.dims.maxBatch) {
      this.reserved += rows;
      return;
    }
    await new Promise<void>((admit) => this.waiting.push({ rows, admit }));
  }

  /** @internal Gives back rows a {@link reserve} held that will not join. */
  unreserve(rows: number): void {
    this.reserved -= rows;
    this.admit();
  }

  private admit(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      if (this.rows + this.reserved + next.rows > this.dims.maxBatch) return;
      this.waiting.shift();
      this.reserved += next.rows;
      next.admit();
    }
  }

  /** @internal Runs `prompt` in a one-row decoder; returns it (to join with) and the last logits. */
  async prefill(prompt: Int32Array): Promise<{ prefix: OptimumDecoderStepModel; logits: Float32Array }> {
    const prefix =
      this.prefillers.pop() ?? new OptimumDecoderStepModel(this.graph, { ...this.dims, maxBatch: 1 });
    try {
      const logits = await prefix.startShared(prompt, 1);
      return { prefix, logits: logits.slice() };
    } catch (error) {
      this.prefillers.push(prefix);
      throw error;
    }
  }

  /** @internal */
  join(
    rows: number,
    rowValues?: Int32Array,
    shared?: { prefix: OptimumDecoderStepModel; reserved: boolean },
  ): Member {
    const width = this.options.rowInput?.width ?? 0;
    if ((rowValues?.length ?? 0) !== rows * width)
      throw new RangeError(`row inputs: ${rowValues?.length ?? 0} values for ${rows} × ${width}`);
    if (shared?.reserved) this.reserved -= rows;
    else if (this.rows + this.reserved + rows > this.dims.maxBatch)
      throw new RangeError(`fused batch full: ${this.rows} + ${rows} rows > ${this.dims.maxBatch}`);
    const member: Member = {
      rows,
      first: -1,
      length: shared?.prefix.length ?? 0,
      prefix: shared?.prefix,
      logits: new Float32Array(rows * this.streams * this.dims.vocabSize),
      active: true,
      rowValues: rowValues ? BigInt64Array.from(rowValues, (v) => BigInt(v)) : undefined,
    };
    this.members.push(member);
    this.dirty = true;
    return member;
  }

  /** @internal */
  leave(member: Member): void {
    member.active = false;
    this.dirty = true;
    member.pending?.reject(new Error('sequence released'));
    member.pending = undefined;
    this.admit();
    this.maybeStep();
  }

  /** @internal */
  submit(member: Member, tokens: Int32Array): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      member.pending = {
        tokens: tokens.slice(0, member.rows * this.streams),
        resolve,
        reject,
      };
      this.maybeStep();
    });
  }

  /** Runs a step once every member has its next tokens in (a step boundary). */
  private maybeStep(): void {
    if (this.running) return;
    this.compact();
    if (this.members.length === 0 || this.members.some((m) => !m.pending)) return;
    this.running = true;
    this.step()
      .catch((error: unknown) => {
        for (const m of this.members) m.pending?.reject(error);
        for (const m of this.members) m.pending = undefined;
      })
      .finally(() => {
        this.running = false;
        this.maybeStep();
      });
  }

  /** Drops members that left, places newcomers, and trims padding columns nobody needs. */
  private compact(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const kept = this.members.filter((m) => m.active);
    // The common cache length: rows are right-aligned to it.
    const width = kept.reduce((w, m) => Math.max(w, m.length), 0);
    // Placed rows move down to their new index; newcomers take the following rows, all padding.
    const moves: KvRowMove[] = [];
    let row = 0;
    for (const m of kept.filter((k) => k.first >= 0)) {
      moves.push({ from: m.first, to: row, rows: m.rows });
      m.first = row;
      row += m.rows;
    }
    for (const m of kept.filter((k) => k.first < 0)) {
      m.first = row;
      row += m.rows;
    }
    this.cache.relayout(moves, row, width);
    for (const m of this.members) {
      if (!m.prefix) continue;
      // A newcomer's prompt goes into its rows, right-aligned like everyone's positions.
      if (m.active) this.cache.place(m.prefix.cache, m.first, m.rows);
      this.prefillers.push(m.prefix);
      m.prefix = undefined;
    }
    this.members = kept;
  }

  private async step(): Promise<void> {
    const { vocabSize } = this.dims;
    const k = this.streams;
    const batch = this.cache.batch;
    const width = this.cache.length;
    const total = width + 1;
    const rowInput = this.options.rowInput;
    // Members that join while this step runs wait for the next one.
    const members = [...this.members];
    for (const m of members) {
      for (let r = 0; r < m.rows; r++) {
        const row = m.first + r;
        for (let q = 0; q < k; q++) this.ids[row * k + q] = BigInt(m.pending!.tokens[r * k + q]);
        this.positions[row] = BigInt(m.length);
        const pad = width - m.length;
        this.mask.fill(0n, row * total, row * total + pad);
        this.mask.fill(1n, row * total + pad, (row + 1) * total);
        if (rowInput && this.rowValues && m.rowValues)
          this.rowValues.set(
            m.rowValues.subarray(r * rowInput.width, (r + 1) * rowInput.width),
            row * rowInput.width,
          );
      }
    }
    const feeds: Record<string, TensorValue> = {
      input_ids: {
        data: this.ids.subarray(0, batch * k),
        dims: k === 1 ? [batch, 1] : [batch, k, 1],
      },
      attention_mask: { data: this.mask.subarray(0, batch * total), dims: [batch, total] },
      position_ids: { data: this.positions.subarray(0, batch), dims: [batch, 1] },
      ...this.cache.pastFeeds(),
    };
    if (rowInput && this.rowValues)
      feeds[rowInput.name] = {
        data: this.rowValues.subarray(0, batch * rowInput.width),
        dims: [batch, rowInput.width],
      };
    const outputs: Record<string, TensorValue> = {
      logits: {
        data: this.logits.subarray(0, batch * k * vocabSize),
        dims: k === 1 ? [batch, 1, vocabSize] : [batch, k, 1, vocabSize],
      },
      // Throws before the run when the longest row would pass the cache's capacity.
      ...this.cache.presentOutputs(1),
    };
    await this.graph.run(feeds, outputs);
    this.cache.advance(1);
    this.stats.steps++;
    this.stats.rowSteps += batch;
    this.stats.maxRows = Math.max(this.stats.maxRows, batch);
    const rowSize = k * vocabSize;
    const done = members.map((m) => {
      // A member that left during the step still advanced its rows; compact() drops them.
      m.length++;
      const pending = m.pending;
      m.pending = undefined;
      if (!m.active || !pending) return () => undefined;
      m.logits.set(this.logits.subarray(m.first * rowSize, (m.first + m.rows) * rowSize));
      return () => pending.resolve(m.logits);
    });
    for (const resolve of done) resolve();
  }
}

/** What every member's view of a {@link FusedDecoder} shares: its rows, joining and leaving. */
abstract class FusedMemberView {
  protected member?: Member;

  constructor(protected readonly fused: FusedDecoder) {}

  get vocabSize(): number {
    return this.fused.dims.vocabSize;
  }
  get maxLength(): number {
    return this.fused.dims.maxLength;
  }
  get length(): number {
    return this.member?.length ?? 0;
  }
  get batch(): number {
    return this.member?.rows ?? 0;
  }

  /** Leaves the batch (if in it) and joins again with `batch` fresh rows. */
  protected rejoin(batch: number, rowValues?: Int32Array): void {
    if (this.member) this.fused.leave(this.member);
    this.member = this.fused.join(batch, rowValues);
  }

  protected submit(tokens: Int32Array): Promise<Float32Array> {
    if (!this.member) throw new Error('reset() first');
    return this.fused.submit(this.member, tokens);
  }

  release(): void {
    if (this.member) this.fused.leave(this.member);
    this.member = undefined;
  }
}

/** One generation's view of a {@link FusedDecoder}. */
class FusedSequence extends FusedMemberView implements TokenStepModel {
  reset(batch: number): void {
    this.rejoin(batch);
  }

  forward(tokens: Int32Array, newLength: number): Promise<Float32Array> {
    if (newLength !== 1) throw new RangeError('a fused sequence feeds one token per row per step');
    return this.submit(tokens);
  }

  truncate(): void {
    throw new Error('a fused sequence cannot roll back (speculative decoding runs unfused)');
  }
}

/** One shared-prompt generation's view of a {@link FusedDecoder} (Chronos' sample paths). */
class FusedSharedPromptSequence extends FusedSequence implements SharedPromptStepModel {
  async startShared(prompt: Int32Array, batch: number): Promise<Float32Array> {
    this.release();
    await this.fused.reserve(batch);
    let prefilled;
    try {
      prefilled = await this.fused.prefill(prompt);
    } catch (error) {
      this.fused.unreserve(batch);
      throw error;
    }
    this.member = this.fused.join(batch, undefined, { prefix: prefilled.prefix, reserved: true });
    return prefilled.logits;
  }
}

/** One multi-stream generation's view of a {@link FusedDecoder}. */
class FusedCodebookSequence extends FusedMemberView implements CodebookStepModel {
  constructor(
    fused: FusedDecoder,
    readonly numCodebooks: number,
  ) {
    super(fused);
  }

  reset(batch: number, conditions: Int32Array): void {
    this.rejoin(batch, conditions);
  }

  forward(tokens: Int32Array): Promise<Float32Array> {
    return this.submit(tokens);
  }
}
