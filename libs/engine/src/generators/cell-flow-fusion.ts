import type { CellVelocityModel } from '../generation/step-model';
import { concatArrays, LockstepRounds, type RoundMember, type RowBlock } from './lockstep-rounds';

/** A {@link CellVelocityModel} whose batch can shed rows between steps (its cache re-packed). */
export interface RowCellVelocityModel extends CellVelocityModel {
  /** Most rows one batch may hold. */
  readonly maxRows: number;
  /** Keeps only `blocks` (in this order), packed from row 0; the cache keeps its length. */
  keepRows(blocks: readonly RowBlock[]): void;
}

interface VelocityCall {
  readonly noisy: Float32Array;
  readonly t: number;
  readonly cell: number;
  readonly labels: Int32Array;
  readonly context?: Float32Array;
}

/** Counters of a {@link CellFlowFusion}. */
export interface CellFlowFusionStats {
  rounds: number;
  forwards: number;
  /** Sum over forwards of rows in the batch. */
  rowForwards: number;
}

/**
 * Cross-request fusion of xAR generations: members run their own {@link NextCellFlowGenerator}
 * (own seed, guidance, labels, previews) but advance in lock-step rounds
 * ({@link LockstepRounds}), and every solver step of a round is ONE batched forward over all
 * members' rows, with one KV cache of everyone's clean cells. Members of a round must integrate
 * with the same solver times (the model's flow steps): the step's time, cell and context are
 * checked to agree.
 */
export class CellFlowFusion extends LockstepRounds<VelocityCall> {
  readonly stats: CellFlowFusionStats = { rounds: 0, forwards: 0, rowForwards: 0 };

  constructor(private readonly model: RowCellVelocityModel) {
    super(model.maxRows);
  }

  /** A member's view of the model: pass it to a {@link NextCellFlowGenerator}. */
  member(signal?: AbortSignal): CellVelocityModel {
    const m = this.newMember(signal);
    const { model } = this;
    const cellValues = model.cellSize * model.tokenDim;
    return {
      tokenDim: model.tokenDim,
      cellSize: model.cellSize,
      cellCount: model.cellCount,
      reset: (batch) => this.join(m, batch),
      velocity: (noisy, t, cell, labels, context) =>
        this.submit<Float32Array>(m, {
          noisy: noisy.slice(0, m.rows * cellValues),
          t,
          cell,
          labels: labels.slice(0, m.rows),
          context: context?.slice(0, m.rows * cellValues),
        }),
      release: () => this.leave(m),
    };
  }

  protected startBatch(rows: number): void {
    this.model.reset(rows);
  }

  protected keepRows(blocks: readonly RowBlock[]): void {
    this.model.keepRows(blocks);
  }

  protected onRoundStart(): void {
    this.stats.rounds++;
  }

  protected async runBatch(members: RoundMember<VelocityCall>[]): Promise<void> {
    const calls = members.map((m) => m.pending!.op);
    const [first] = calls;
    if (
      calls.some(
        (c) => c.t !== first!.t || c.cell !== first!.cell || !c.context !== !first!.context,
      )
    )
      throw new Error('members of a round must be at the same solver step');
    this.repack(members);
    for (const m of members) m.pending!.started = true;
    const rows = members.reduce((sum, m) => sum + m.rows, 0);
    const v = await this.model.velocity(
      concatArrays(calls.map((c) => c.noisy)),
      first!.t,
      first!.cell,
      concatArrays(calls.map((c) => c.labels)),
      first!.context ? concatArrays(calls.map((c) => c.context!)) : undefined,
    );
    this.stats.forwards++;
    this.stats.rowForwards += rows;
    const size = this.model.cellSize * this.model.tokenDim;
    this.settle(members, (m) => v.slice(m.first * size, (m.first + m.rows) * size));
    for (const m of members) m.steps++;
  }
}
