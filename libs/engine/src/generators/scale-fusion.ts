import type { Decoder } from '../generation/decoder';
import { GenerationAbortedError } from '../generation/generator';
import type { ScaleAccumulator, ScaleStepModel } from '../generation/step-model';

/** A block of rows of a batched step model. */
export interface RowBlock {
  readonly first: number;
  readonly rows: number;
}

/**
 * A {@link ScaleStepModel} whose batch can shed rows between scales (its KV cache is re-packed):
 * what a {@link ScaleFusion} runs every round's forwards on.
 */
export interface RowScaleStepModel extends ScaleStepModel {
  /** Keeps only `blocks` (in this order), packed from row 0; the cache keeps its length. */
  keepRows(blocks: readonly RowBlock[]): void;
}

/** The batched parts a {@link ScaleFusion} shares among its members. */
export interface ScaleFusionParts<Media> {
  readonly model: RowScaleStepModel;
  readonly accumulator: ScaleAccumulator;
  readonly decoder: Decoder<{ fHat: Float32Array; images: number }, Media>;
  /** Images `[first, first + images)` of a decoded batch. */
  sliceMedia(media: Media, first: number, images: number): Media;
  /** Most rows (images, doubled by CFG) in one round. */
  readonly maxRows: number;
}

/** Counters of a {@link ScaleFusion} (how much batching happened). */
export interface ScaleFusionStats {
  /** Rounds started. */
  rounds: number;
  /** Batched forwards run. */
  forwards: number;
  /** Sum over forwards of rows in the batch (rowForwards / forwards = mean batch). */
  rowForwards: number;
  /** Largest batch seen. */
  maxRows: number;
  /** Batched f̂ updates and decodes run. */
  updates: number;
  decodes: number;
}

/** One member's view: pass these to a {@link NextScaleGenerator}. */
export interface ScaleFusionMember<Media> {
  readonly model: ScaleStepModel;
  readonly accumulator: ScaleAccumulator;
  readonly decoder: Decoder<{ fHat: Float32Array; images: number }, Media>;
}

type Op =
  | { kind: 'forward'; inputs: Float32Array; newLength: number; labels: Int32Array }
  | { kind: 'update'; fHat: Float32Array; codes: Int32Array; images: number; scale: number }
  | { kind: 'decode'; fHat: Float32Array; images: number };

interface Pending {
  op: Op;
  started: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Member {
  rows: number;
  /** First row in the round's batch (-1 while waiting for a round). */
  first: number;
  state: 'idle' | 'waiting' | 'in' | 'left';
  /** Forwards this member has had (its scale index). */
  scales: number;
  signal?: AbortSignal;
  pending?: Pending;
}

/**
 * Cross-request fusion of next-scale (VAR) generations: every member runs its own
 * {@link NextScaleGenerator} (own seed, sampling, guidance, labels, previews), but members are
 * grouped in rounds that advance in lock-step, and every scale's forward is ONE batched forward
 * over all rows of the round; the f̂ updates and the decodes of the round's members are batched
 * too. A member joins at scale 0 of the next round (members that arrive while a round runs wait
 * for it to end); a member that leaves (done, aborted, failed) frees its rows before the next
 * forward and the others go on. Batches run when every member of the round waits on one (a step
 * boundary), so the result of a member depends only on its own request and seed: alone, it
 * computes exactly what the unfused generator computes.
 */
export class ScaleFusion<Media> {
  private round: Member[] = [];
  private readonly waiting: Member[] = [];
  private running = false;
  private starting = false;
  /** Rows of members that left since the last forward (re-packed before the next). */
  private dirty = false;
  readonly stats: ScaleFusionStats = {
    rounds: 0,
    forwards: 0,
    rowForwards: 0,
    maxRows: 0,
    updates: 0,
    decodes: 0,
  };

  constructor(private readonly parts: ScaleFusionParts<Media>) {}

  /** Rows in the running round. */
  get rows(): number {
    return this.round.reduce((sum, m) => sum + (m.state === 'in' ? m.rows : 0), 0);
  }

  /** Most rows one member may have. */
  get maxRows(): number {
    return this.parts.maxRows;
  }

  /**
   * A new member; it joins at its generator's first forward. An abort of `signal` takes it out
   * of the round (or the queue) at once, failing its waiting call.
   */
  member(signal?: AbortSignal): ScaleFusionMember<Media> {
    const m: Member = { rows: 0, first: -1, state: 'idle', scales: 0, signal };
    const { accumulator, model } = this.parts;
    signal?.addEventListener('abort', () => this.abort(m), { once: true });
    return {
      model: {
        vocabSize: model.vocabSize,
        reset: (batch: number) => {
          this.leave(m);
          if (batch > this.parts.maxRows)
            throw new RangeError(`${batch} rows > fused round capacity ${this.parts.maxRows}`);
          if (signal?.aborted) throw new GenerationAbortedError(0);
          Object.assign(m, { rows: batch, first: -1, state: 'waiting', scales: 0 });
          this.waiting.push(m);
        },
        forward: (inputs: Float32Array, newLength: number, classLabels: Int32Array) =>
          this.submit<Float32Array>(m, {
            kind: 'forward',
            inputs: inputs.slice(0, m.rows * newLength * accumulator.channels),
            newLength,
            labels: classLabels.slice(0, m.rows),
          }),
        release: () => this.leave(m),
      },
      accumulator: {
        channels: accumulator.channels,
        empty: (batch) => accumulator.empty(batch),
        update: (fHat, codes, images, scale) =>
          this.submit(m, { kind: 'update', fHat, codes: codes.slice(), images, scale }),
      },
      decoder: {
        decode: ({ fHat, images }) => this.submit(m, { kind: 'decode', fHat, images }),
      },
    };
  }

  private submit<T>(m: Member, op: Op): Promise<T> {
    if (m.signal?.aborted) return Promise.reject(new GenerationAbortedError(m.scales));
    if (m.state !== 'waiting' && m.state !== 'in')
      return Promise.reject(new Error('reset() first'));
    if (m.pending) return Promise.reject(new Error('one call at a time per member'));
    if (op.kind !== 'forward' && m.state !== 'in')
      return Promise.reject(new Error('a member updates and decodes inside its round'));
    return new Promise<T>((resolve, reject) => {
      m.pending = { op, started: false, resolve: resolve as (v: unknown) => void, reject };
      this.schedule();
    });
  }

  private abort(m: Member): void {
    const pending = m.pending;
    if (pending && !pending.started) {
      m.pending = undefined;
      pending.reject(new GenerationAbortedError(m.scales));
    }
    if (!pending?.started) this.leave(m);
  }

  private leave(m: Member): void {
    if (m.state === 'waiting') this.waiting.splice(this.waiting.indexOf(m), 1);
    if (m.state === 'in') this.dirty = true;
    if (m.state !== 'idle') m.state = 'left';
    const pending = m.pending;
    if (pending && !pending.started) {
      m.pending = undefined;
      pending.reject(new Error('member released'));
    }
    this.schedule();
  }

  /** Runs the next batch once every member of the round waits on one. */
  private schedule(): void {
    if (this.running) return;
    this.round = this.round.filter((m) => m.state === 'in');
    if (this.round.length === 0) {
      if (this.dirty) this.dirty = false;
      // Between rounds: let requests that arrived in the same tick join the new round.
      if (this.waiting.some((m) => m.pending) && !this.starting) {
        this.starting = true;
        setImmediate(() => {
          this.starting = false;
          this.startRound();
        });
      }
      return;
    }
    if (this.round.some((m) => !m.pending)) return;
    this.running = true;
    this.runBatch()
      .catch((error: unknown) => {
        for (const m of this.round) {
          const p = m.pending;
          if (p?.started) {
            m.pending = undefined;
            p.reject(error);
          }
        }
      })
      .finally(() => {
        this.running = false;
        this.schedule();
      });
  }

  private startRound(): void {
    if (this.running || this.round.some((m) => m.state === 'in')) return this.schedule();
    const joined: Member[] = [];
    let rows = 0;
    // First come, first served: a member that does not fit waits (and so does everyone behind it).
    while (this.waiting.length > 0 && this.waiting[0]!.pending) {
      const next = this.waiting[0]!;
      if (rows + next.rows > this.parts.maxRows) break;
      this.waiting.shift();
      next.state = 'in';
      next.first = rows;
      rows += next.rows;
      joined.push(next);
    }
    if (joined.length === 0) return;
    this.round = joined;
    this.dirty = false;
    this.stats.rounds++;
    this.parts.model.reset(rows);
    this.schedule();
  }

  private async runBatch(): Promise<void> {
    const members = this.round;
    if (members.every((m) => m.pending!.op.kind === 'forward')) return this.forward(members);
    // Updates and decodes carry no shared state: batch those that wait now (forwards wait for all).
    const updates = members.filter((m) => m.pending!.op.kind === 'update');
    const scales = [...new Set(updates.map((m) => (m.pending!.op as { scale: number }).scale))];
    for (const scale of scales)
      await this.update(
        updates.filter((m) => (m.pending!.op as { scale: number }).scale === scale),
      );
    const decodes = members.filter((m) => m.pending?.op.kind === 'decode');
    if (decodes.length > 0) await this.decode(decodes);
  }

  private async forward(members: Member[]): Promise<void> {
    const ops = members.map((m) => m.pending!.op as Extract<Op, { kind: 'forward' }>);
    const newLength = ops[0]!.newLength;
    if (ops.some((op) => op.newLength !== newLength))
      throw new Error('members of a round must be at the same scale');
    if (this.dirty) {
      this.dirty = false;
      let row = 0;
      const blocks = members.map((m) => {
        const block = { first: m.first, rows: m.rows };
        m.first = row;
        row += m.rows;
        return block;
      });
      this.parts.model.keepRows(blocks);
    }
    for (const m of members) m.pending!.started = true;
    const rows = members.reduce((sum, m) => sum + m.rows, 0);
    const { channels } = this.parts.accumulator;
    const inputs = concat(ops.map((op) => op.inputs));
    const labels = new Int32Array(rows);
    members.forEach((m, i) => labels.set(ops[i]!.labels, m.first));
    const logits = await this.parts.model.forward(
      inputs.subarray(0, rows * newLength * channels),
      newLength,
      labels,
    );
    this.stats.forwards++;
    this.stats.rowForwards += rows;
    this.stats.maxRows = Math.max(this.stats.maxRows, rows);
    const rowSize = newLength * this.parts.model.vocabSize;
    this.settle(members, (m) => logits.slice(m.first * rowSize, (m.first + m.rows) * rowSize));
    for (const m of members) m.scales++;
  }

  private async update(members: Member[]): Promise<void> {
    const ops = members.map((m) => m.pending!.op as Extract<Op, { kind: 'update' }>);
    for (const m of members) m.pending!.started = true;
    const images = ops.reduce((sum, op) => sum + op.images, 0);
    const out = await this.parts.accumulator.update(
      concat(ops.map((op) => op.fHat)),
      concatInt(ops.map((op) => op.codes)),
      images,
      ops[0]!.scale,
    );
    this.stats.updates++;
    const fHatSize = out.fHat.length / images;
    const inputSize = out.nextInputs.length / images;
    let first = 0;
    const firsts = ops.map((op) => ((first += op.images), first - op.images));
    this.settle(members, (_, i) => ({
      fHat: out.fHat.slice(firsts[i]! * fHatSize, (firsts[i]! + ops[i]!.images) * fHatSize),
      nextInputs: out.nextInputs.slice(
        firsts[i]! * inputSize,
        (firsts[i]! + ops[i]!.images) * inputSize,
      ),
    }));
  }

  private async decode(members: Member[]): Promise<void> {
    const ops = members.map((m) => m.pending!.op as Extract<Op, { kind: 'decode' }>);
    for (const m of members) m.pending!.started = true;
    const images = ops.reduce((sum, op) => sum + op.images, 0);
    const media = await this.parts.decoder.decode({
      fHat: concat(ops.map((op) => op.fHat)),
      images,
    });
    this.stats.decodes++;
    let first = 0;
    const firsts = ops.map((op) => ((first += op.images), first - op.images));
    this.settle(members, (_, i) => this.parts.sliceMedia(media, firsts[i]!, ops[i]!.images));
  }

  /** Resolves every member's started call (members that left meanwhile get nothing). */
  private settle(members: Member[], value: (m: Member, i: number) => unknown): void {
    const done = members.map((m, i) => {
      const p = m.pending;
      m.pending = undefined;
      if (!p) return () => undefined;
      if (m.state !== 'in') return () => p.reject(new Error('member released'));
      const v = value(m, i);
      return () => p.resolve(v);
    });
    for (const resolve of done) resolve();
  }
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function concatInt(parts: Int32Array[]): Int32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
