// `npm run bench`: every benchmark in a quick setting, one after another on an otherwise idle
// machine, then one table of their headline ratios. Each ratio is measured side by side inside its
// own benchmark (tools/bench/paired.ts: interleaved rounds, the median of per-round ratios and their
// min–max). The table is also written to test-artifacts/bench/summary.json; when a previous run's
// file is there, the change of every median against it is printed too (a ratio that moves by more
// than 10 % between two consecutive runs needs more rounds).
// Usage: npx tsx tools/bench/summary.ts [--only name,name]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type SummaryRow } from './paired';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const outDir = join(root, 'test-artifacts', 'bench');
const outFile = join(outDir, 'summary.json');
const rowsFile = join(outDir, 'rows.jsonl');

/** The quick setting of each benchmark (its own usage line says what the arguments are). */
const BENCHES: { name: string; args: string[] }[] = [
  { name: 'raster-vs-transformersjs', args: ['21'] },
  { name: 'image-engine', args: ['5', '1,2,3,4,6,7'] },
  {
    name: 'raster-self-speculative',
    args: ['5', '2', 'sjd8,sjd8-lantern,heads2,heads4,heads4-lantern'],
  },
  { name: 'forward-cost', args: ['5', '2,5,9', '100'] },
  { name: 'var-fusion', args: ['7'] },
  { name: 'audio', args: ['5', '5'] },
  { name: 'video-engine', args: ['3'] },
  { name: 'shape', args: ['3', '1'] },
  { name: 'timeseries-fit-scaling', args: ['6000', '3'] },
  { name: 'threading', args: ['2', '24', 'image,audio'] },
];

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set(process.argv[onlyArg + 1]?.split(',')) : undefined;
const previous: (SummaryRow & { median: number })[] = existsSync(outFile)
  ? (JSON.parse(readFileSync(outFile, 'utf8')) as { rows: (SummaryRow & { median: number })[] })
      .rows
  : [];

mkdirSync(outDir, { recursive: true });
rmSync(rowsFile, { force: true });
const seconds: Record<string, number> = {};
const failed: string[] = [];
const started = performance.now();
for (const bench of BENCHES) {
  if (only && !only.has(bench.name)) continue;
  console.log(`\n=== ${bench.name} ${bench.args.join(' ')}`);
  const t = performance.now();
  const run = spawnSync('npx', ['tsx', join(here, `${bench.name}.ts`), ...bench.args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NEXTX_BENCH_SUMMARY: rowsFile },
  });
  seconds[bench.name] = (performance.now() - t) / 1000;
  if (run.status !== 0) failed.push(`${bench.name} (exit ${run.status ?? run.signal})`);
}

const rows = existsSync(rowsFile)
  ? readFileSync(rowsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SummaryRow)
  : [];
const fmt = (v: number, unit: string) => (unit === '%' ? `${v.toFixed(1)} %` : `${v.toFixed(2)}x`);
const table = rows.map((r) => {
  const unit = r.unit ?? 'x';
  const m = median(r.values);
  const before = previous.find((p) => p.bench === r.bench && p.metric === r.metric);
  const goal = r.goal
    ? `${r.goal.atLeast ? '≥' : '≤'} ${fmt(r.goal.value, unit)} ${(r.goal.atLeast ? m >= r.goal.value : m <= r.goal.value) ? 'met' : 'MISSED'}`
    : '';
  return {
    ...r,
    median: m,
    cells: [
      r.metric,
      fmt(m, unit),
      `${fmt(Math.min(...r.values), unit)}–${fmt(Math.max(...r.values), unit)}`,
      String(r.values.length),
      goal,
      before ? `${(((m - before.median) / before.median) * 100).toFixed(0)} %` : '',
    ],
  };
});
const header = ['headline ratio', 'median', 'min–max', 'rounds', 'goal', 'Δ vs last run'];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t.cells[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
console.log(`\n# nextx bench summary (${((performance.now() - started) / 60000).toFixed(1)} min)`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const t of table) console.log(line(t.cells));
console.log(
  `\nseconds per bench: ${Object.entries(seconds)
    .map(([n, s]) => `${n} ${s.toFixed(0)}`)
    .join(', ')}`,
);
writeFileSync(
  outFile,
  `${JSON.stringify({ at: new Date().toISOString(), seconds, rows: table.map(({ cells, ...r }) => r) }, null, 2)}\n`,
);
if (failed.length) {
  console.error(`benchmarks that failed: ${failed.join(', ')}`);
  process.exit(1);
}
