import type { Decoder } from '../generation/decoder';
import type { ScaleAccumulator, ScaleStepModel } from '../generation/step-model';
import { concatArrays, LockstepRounds, type RoundMember, type RowBlock } from './lockstep-rounds';

export type { RowBlock } from './lockstep-rounds';

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

type Member = RoundMember<Op>;

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
export class ScaleFusion<Media> extends LockstepRounds<Op> {
  readonly stats: ScaleFusionStats = {
    rounds: 0,
    forwards: 0,
    rowForwards: 0,
    maxRows: 0,
    updates: 0,
    decodes: 0,
  };

  constructor(private readonly parts: ScaleFusionParts<Media>) {
    super(parts.maxRows);
  }

  /**
   * A new member; it joins at its generator's first forward. An abort of `signal` takes it out
   * of the round (or the queue) at once, failing its waiting call.
   */
  member(signal?: AbortSignal): ScaleFusionMember<Media> {
    const m = this.newMember(signal);
    const { accumulator, model } = this.parts;
    return {
      model: {
        vocabSize: model.vocabSize,
        reset: (batch: number) => this.join(m, batch),
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
          this.submit(m, { kind: 'update', fHat, codes: codes.slice(), images, scale }, true),
      },
      decoder: {
        decode: ({ fHat, images }) => this.submit(m, { kind: 'decode', fHat, images }, true),
      },
    };
  }

  protected startBatch(rows: number): void {
    this.parts.model.reset(rows);
  }

  protected keepRows(blocks: readonly RowBlock[]): void {
    this.parts.model.keepRows(blocks);
  }

  protected onRoundStart(): void {
    this.stats.rounds++;
  }

  protected async runBatch(members: Member[]): Promise<void> {
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
    this.repack(members);
    for (const m of members) m.pending!.started = true;
    const rows = members.reduce((sum, m) => sum + m.rows, 0);
    const { channels } = this.parts.accumulator;
    const inputs = concatArrays(ops.map((op) => op.inputs));
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
    for (const m of members) m.steps++;
  }

  private async update(members: Member[]): Promise<void> {
    const ops = members.map((m) => m.pending!.op as Extract<Op, { kind: 'update' }>);
    for (const m of members) m.pending!.started = true;
    const images = ops.reduce((sum, op) => sum + op.images, 0);
    const out = await this.parts.accumulator.update(
      concatArrays(ops.map((op) => op.fHat)),
      concatArrays(ops.map((op) => op.codes)),
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
      fHat: concatArrays(ops.map((op) => op.fHat)),
      images,
    });
    this.stats.decodes++;
    let first = 0;
    const firsts = ops.map((op) => ((first += op.images), first - op.images));
    this.settle(members, (_, i) => this.parts.sliceMedia(media, firsts[i]!, ops[i]!.images));
  }
}
