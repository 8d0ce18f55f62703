// VAR cross-request fusion on var-mnist, side by side in one run: throughput (images/s) of 1, 4
// and 16 concurrent 1-image requests (defaults, CFG on, a preview per scale as the service asks)
// fused into rounds (one batched forward, f̂ update and decode per scale: IMAGE_FUSION=on) vs the
// same requests one after another (IMAGE_FUSION=off). Fused and sequential runs alternate within
// every round (the order flips each round); the ratio is the median of the per-round ratios, with
// their min–max spread.
// Usage: npx tsx tools/bench/var-fusion.ts [rounds=5] [threads=1] (onnxruntime intra-op threads,
// IMAGE_THREADS_PER_WORKER)
import { runToResult } from '@nextx/engine';
import { loadVarPipeline } from '@nextx/image';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { median, paired, report, spread } from './paired';

const rounds = Number(process.argv[2] ?? 5);
const threads = Number(process.argv[3] ?? 1);
const repository = new ModelRepository(referenceModelsDir(), {
  intraOpThreads: threads,
  interOpThreads: 1,
  graphOptimization: 'all',
});
const varp = await loadVarPipeline(repository, 'var-mnist');
const request = (label: number) => ({
  classLabels: [label],
  cfg: varp.defaults.cfg,
  sampling: {
    temperature: varp.defaults.temperature,
    topK: varp.defaults.topK,
    topP: varp.defaults.topP,
  },
  previews: true,
});
const levels = [1, 4, 16];
// One fusion for the run, as a worker keeps one per model (the service's row budget).
const fusion = varp.fused(256);
const fusedRun = (n: number, seed: number) =>
  Promise.all(
    Array.from({ length: n }, (_, i) =>
      runToResult(
        varp.fusedGenerator(fusion.member()).generate(request(i % 10), { seed: seed + i }),
      ),
    ),
  );
const sequentialRun = async (n: number, seed: number) => {
  for (let i = 0; i < n; i++)
    await runToResult(varp.generator(2).generate(request(i % 10), { seed: seed + i }));
};
// Warm-up: first runs pay onnxruntime's allocations.
await fusedRun(16, 0);
await sequentialRun(4, 0);

const ips = (n: number, t: number) => (n * 1000) / t;
console.log(
  `VAR fusion, var-mnist (${varp.scales.length} scales, CFG on, previews on), ${threads} intra-op thread(s), ${rounds} interleaved rounds:`,
);
for (const n of levels) {
  const m = await paired(
    rounds,
    (r) => fusedRun(n, 1000 * r),
    (r) => sequentialRun(n, 1000 * r),
    0,
  );
  console.log(
    `  ${String(n).padStart(2)} concurrent 1-image requests: fused ${ips(n, median(m.a)).toFixed(1)} img/s, one after another ${ips(n, median(m.b)).toFixed(1)} img/s, ${spread(m.ratios)}`,
  );
  report({
    bench: 'var-fusion',
    metric: `VAR fusion on vs off, ${n} concurrent 1-image requests (var-mnist)`,
    values: m.ratios,
    ...(n === 16 ? { goal: { value: 2, atLeast: true } } : {}),
  });
}
console.log(
  `  fusion: ${fusion.stats.rounds} rounds, ${fusion.stats.forwards} forwards, mean batch ${(fusion.stats.rowForwards / fusion.stats.forwards).toFixed(1)} rows (max ${fusion.stats.maxRows})`,
);
await repository.close();
