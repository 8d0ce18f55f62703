import { GenerationAbortedError } from '../generation/generator';

/** A block of rows of a batched step model. */
export interface RowBlock {
  readonly first: number;
  readonly rows: number;
}

/** A call a member waits on, run in the next batch. */
export interface PendingCall<Op> {
  readonly op: Op;
  started: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** One generation inside a {@link LockstepRounds}. */
export interface RoundMember<Op> {
  rows: number;
  /** First row in the round's batch (-1 while waiting for a round). */
  first: number;
  state: 'idle' | 'waiting' | 'in' | 'left';
  /** Step forwards this member has had (for the abort error). */
  steps: number;
  signal?: AbortSignal;
  pending?: PendingCall<Op>;
}

/**
 * Cross-request fusion of loops whose steps have fixed shapes (VAR scales, xAR solver steps):
 * members are grouped in rounds that advance in lock-step, a member joins at the first step of
 * the next round (members that arrive while a round runs wait for it to end), and a member that
 * leaves (done, aborted, failed) frees its rows before the next batch while the others go on.
 * A batch runs when every member of the round waits on a call (a step boundary), so a member's
 * result depends only on its own request and seed. Subclasses say how a batch runs.
 */
export abstract class LockstepRounds<Op> {
  protected round: RoundMember<Op>[] = [];
  private readonly waiting: RoundMember<Op>[] = [];
  private running = false;
  private starting = false;
  /** Rows of members that left since the last batch (re-packed before the next). */
  private dirty = false;

  constructor(readonly maxRows: number) {}

  /** Rows in the running round. */
  get rows(): number {
    return this.round.reduce((sum, m) => sum + (m.state === 'in' ? m.rows : 0), 0);
  }

  /** Starts the model's batch of a new round. */
  protected abstract startBatch(rows: number): void;
  /** Keeps only `blocks` of rows (in this order), packed from row 0. */
  protected abstract keepRows(blocks: readonly RowBlock[]): void;
  /** A round starts (for its statistics). */
  protected abstract onRoundStart(): void;
  /** Runs the calls the round's members wait on (each member's `pending`). */
  protected abstract runBatch(members: RoundMember<Op>[]): Promise<void>;

  /** A new member; an abort of `signal` takes it out of the round (or the queue) at once. */
  protected newMember(signal?: AbortSignal): RoundMember<Op> {
    const m: RoundMember<Op> = { rows: 0, first: -1, state: 'idle', steps: 0, signal };
    signal?.addEventListener('abort', () => this.abort(m), { once: true });
    return m;
  }

  /** The member's generator starts: it waits for the next round with `rows` rows. */
  protected join(m: RoundMember<Op>, rows: number): void {
    this.leave(m);
    if (rows > this.maxRows)
      throw new RangeError(`${rows} rows > fused round capacity ${this.maxRows}`);
    if (m.signal?.aborted) throw new GenerationAbortedError(0);
    Object.assign(m, { rows, first: -1, state: 'waiting', steps: 0 });
    this.waiting.push(m);
  }

  /** Queues a call of the member for the next batch. */
  protected submit<T>(m: RoundMember<Op>, op: Op, needsRound = false): Promise<T> {
    if (m.signal?.aborted) return Promise.reject(new GenerationAbortedError(m.steps));
    if (m.state !== 'waiting' && m.state !== 'in')
      return Promise.reject(new Error('reset() first'));
    if (m.pending) return Promise.reject(new Error('one call at a time per member'));
    if (needsRound && m.state !== 'in')
      return Promise.reject(new Error('this call is only valid inside a round'));
    return new Promise<T>((resolve, reject) => {
      m.pending = { op, started: false, resolve: resolve as (v: unknown) => void, reject };
      this.schedule();
    });
  }

  protected leave(m: RoundMember<Op>): void {
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

  /** Before a step's batch: packs the rows of the members still in (after some left). */
  protected repack(members: RoundMember<Op>[]): void {
    if (!this.dirty) return;
    this.dirty = false;
    let row = 0;
    const blocks = members.map((m) => {
      const block = { first: m.first, rows: m.rows };
      m.first = row;
      row += m.rows;
      return block;
    });
    this.keepRows(blocks);
  }

  /** Resolves every member's started call (members that left meanwhile get nothing). */
  protected settle(
    members: RoundMember<Op>[],
    value: (m: RoundMember<Op>, i: number) => unknown,
  ): void {
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

  private abort(m: RoundMember<Op>): void {
    const pending = m.pending;
    if (pending && !pending.started) {
      m.pending = undefined;
      pending.reject(new GenerationAbortedError(m.steps));
    }
    if (!pending?.started) this.leave(m);
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
    this.runBatch(this.round)
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
    const joined: RoundMember<Op>[] = [];
    let rows = 0;
    // First come, first served: a member that does not fit waits (and so does everyone behind it).
    while (this.waiting.length > 0 && this.waiting[0]!.pending) {
      const next = this.waiting[0]!;
      if (rows + next.rows > this.maxRows) break;
      this.waiting.shift();
      next.state = 'in';
      next.first = rows;
      rows += next.rows;
      joined.push(next);
    }
    if (joined.length === 0) return;
    this.round = joined;
    this.dirty = false;
    this.onRoundStart();
    this.startBatch(rows);
    this.schedule();
  }
}

/** Concatenates typed arrays (the parts' own array when there is one). */
export function concatArrays<T extends Float32Array | Int32Array>(parts: T[]): T {
  if (parts.length === 1) return parts[0]!;
  const out = new (parts[0]!.constructor as new (n: number) => T)(
    parts.reduce((s, p) => s + p.length, 0),
  );
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
