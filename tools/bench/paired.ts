// The measuring rules every benchmark shares: two sides are timed alternately, the order flipping
// every round, after the same warm-up; a ratio is the median of the per-round ratios, printed with
// their min–max spread (this machine is noisy: one pair of medians can swing by 30 %).
// With NEXTX_BENCH_SUMMARY=<file> every reported ratio is also appended to that file as one JSON
// line, which `npm run bench` (tools/bench/summary.ts) gathers into one table.
import { appendFileSync } from 'node:fs';

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) throw new RangeError('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Wall times (ms) of both sides per round, and per round a's speed-up over b (b / a). */
export interface PairedTimes {
  readonly a: number[];
  readonly b: number[];
  readonly ratios: number[];
}

/**
 * Times `a` and `b` alternately for `rounds` rounds (a first in even rounds, b first in odd ones)
 * after `warmup` untimed runs of each (as round 0). `ratios[r]` = b's time / a's time in round r: how many times
 * faster a was.
 */
export async function paired(
  rounds: number,
  a: (round: number) => Promise<unknown>,
  b: (round: number) => Promise<unknown>,
  warmup = 1,
): Promise<PairedTimes> {
  // Warm-up runs get round 0 (callers derive seeds from the round).
  for (let w = 0; w < warmup; w++) {
    await a(0);
    await b(0);
  }
  const out: PairedTimes = { a: [], b: [], ratios: [] };
  for (let r = 0; r < rounds; r++) {
    let ta: number, tb: number;
    if (r % 2 === 0) {
      ta = await time(() => a(r));
      tb = await time(() => b(r));
    } else {
      tb = await time(() => b(r));
      ta = await time(() => a(r));
    }
    out.a.push(ta);
    out.b.push(tb);
    out.ratios.push(tb / ta);
  }
  return out;
}

/** "1.29x (1.28–1.30)": the median of per-round values and their range. */
export function spread(values: readonly number[], unit = 'x', digits = 2): string {
  const f = (v: number) => v.toFixed(digits);
  return `${f(median(values))}${unit} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
}

/** One headline figure of a benchmark, as `npm run bench` prints it. */
export interface SummaryRow {
  readonly bench: string;
  readonly metric: string;
  /** Per-round values (ratios, or shares for an overhead row). */
  readonly values: readonly number[];
  readonly unit?: 'x' | '%';
  /** The goal the issue sets, and whether a larger value is better. */
  readonly goal?: { readonly value: number; readonly atLeast: boolean };
  readonly detail?: string;
}

/** Prints the row and, under `npm run bench`, records it for the summary table. */
export function report(row: SummaryRow): void {
  const unit = row.unit ?? 'x';
  console.log(`  [summary] ${row.metric}: ${spread(row.values, unit)}${row.detail ? ` — ${row.detail}` : ''}`);
  const file = process.env['NEXTX_BENCH_SUMMARY'];
  if (file) appendFileSync(file, `${JSON.stringify({ ...row, unit })}\n`);
}
