// Top self-time entries of V8 CPU profiles (node --cpu-prof), one table per file: what the
// engine-overhead figures of tools/bench/image-engine.ts section 4 are made of.
// Usage: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx tools/bench/image-engine.ts 20 4
//        node tools/bench/cpuprofile-top.mjs /tmp/prof/*.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';
const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
for (const file of args) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = p.timeDeltas;
  p.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0));
  });
  const agg = new Map();
  let total = 0;
  for (const [id, t] of self) {
    const n = byId.get(id);
    const f = n.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber}`;
    agg.set(key, (agg.get(key) ?? 0) + t);
    total += t;
  }
  const rows = [...agg].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, t] of rows)
    console.log(
      `${(t / 1000).toFixed(1).padStart(8)} ms ${((t / total) * 100).toFixed(1).padStart(5)}%  ${k}`,
    );
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
}
