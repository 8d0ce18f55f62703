// LANTERN's defaults by a sweep on llama-mnist with its draft, through the engine path the image
// service runs (batch 1 + CFG, one image at a time): for each (k, δ), the acceptance rate, the
// wall time against plain sampling and the class agreement of the same labels and seeds. The
// chosen setting is the one with the highest acceptance whose agreement stays within 3 standard
// errors of plain sampling's. With --write the sweep and the choice go into the draft's model.json
// (`lantern_sweep`, `defaults.speculative`), which the image service reads.
// Usage: npx tsx tools/bench/lantern-sweep.ts [per-class=20] [--write]
import {
  LanternAcceptance,
  RasterGenerator,
  SpeculativeRasterGenerator,
  StandardAcceptance,
  runToResult,
  type AcceptanceRule,
} from '@nextx/engine';
import { DigitClassifier, loadRasterPipeline, type ImageBatch } from '@nextx/image';
import { lanternNeighbours, rasterRequest } from './raster-bench';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const perClass = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 20);
const write = process.argv.includes('--write');
const K = [2, 4, 8, 16];
const DELTA = [0.02, 0.05, 0.1];

const repository = new ModelRepository(referenceModelsDir(), {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
});
const raster = await loadRasterPipeline(repository, 'llama-mnist', { maxBatch: 2 });
const draftName = raster.draftName ?? 'llama-mnist-draft';
const draft = await loadRasterPipeline(repository, draftName, {
  maxBatch: 2,
  decoderFrom: raster.model,
});
const classifier = new DigitClassifier(
  (await repository.load('mnist-classifier')).graph('classifier'),
);
const neighbours = await lanternNeighbours(raster);
const labels = Array.from({ length: 10 * perClass }, (_, i) => Math.floor(i / perClass));
const request = (label: number) => rasterRequest(raster, [label]);

/** Every label once, one image at a time; rule undefined = plain sampling. */
async function run(rule: AcceptanceRule | undefined) {
  const parts: ImageBatch[] = [];
  let accepted = 0;
  const t = performance.now();
  for (const [i, label] of labels.entries()) {
    if (!rule) {
      const r = await runToResult(
        new RasterGenerator(raster.stepModel(2), raster.layout, raster.decoder).generate(
          request(label),
          { seed: 7 + i },
        ),
      );
      parts.push(r.media);
    } else {
      const r = await runToResult(
        new SpeculativeRasterGenerator(
          raster.stepModel(2),
          draft.stepModel(2),
          raster.layout,
          raster.decoder,
          { draftTokens: raster.speculative.draftTokens, rule },
        ).generate(request(label), { seed: 7 + i }),
      );
      parts.push(r.media);
      accepted += r.acceptanceRate ?? 0;
    }
  }
  const ms = performance.now() - t;
  const pixels = new Float32Array(parts.length * 32 * 32);
  parts.forEach((p, i) => pixels.set(p.pixels, i * 32 * 32));
  const agreement = await classifier.agreement({ ...parts[0]!, pixels, images: parts.length }, labels);
  return { ms, acceptance: accepted / labels.length, agreement };
}

await run(new StandardAcceptance()); // warm-up of both graphs
const plain = await run(undefined);
const n = labels.length;
const se = Math.sqrt((plain.agreement * (1 - plain.agreement)) / n);
const floor = plain.agreement - 3 * se;
const standard = await run(new StandardAcceptance());
const rows: { k: number; delta: number; acceptance: number; speedUp: number; agreement: number }[] = [];
for (const k of K.filter((k) => k <= neighbours.width))
  for (const delta of DELTA) {
    const r = await run(new LanternAcceptance({ neighbours, k, delta }));
    rows.push({ k, delta, acceptance: r.acceptance, speedUp: plain.ms / r.ms, agreement: r.agreement });
  }
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
console.log(
  `llama-mnist + ${draftName}, ${n} images one at a time (batch 1 + CFG), γ=${raster.speculative.draftTokens}, 1 thread`,
);
console.log(
  `plain: class agreement ${pct(plain.agreement)} ± ${pct(se)} (floor plain − 3 SE = ${pct(floor)}); standard: acceptance ${pct(standard.acceptance)}, ${(plain.ms / standard.ms).toFixed(2)}x, agreement ${pct(standard.agreement)}`,
);
console.log('    k     δ  acceptance  speed-up (one run each)  agreement');
for (const r of rows)
  console.log(
    `${String(r.k).padStart(5)} ${r.delta.toFixed(2).padStart(5)} ${pct(r.acceptance).padStart(11)} ${`${r.speedUp.toFixed(2)}x`.padStart(24)} ${pct(r.agreement).padStart(10)}${r.agreement >= floor ? '' : '  below the floor'}`,
  );
const admissible = rows.filter((r) => r.agreement >= floor);
const chosen = admissible.sort((a, b) => b.acceptance - a.acceptance)[0];
console.log(
  chosen
    ? `chosen: k ${chosen.k}, δ ${chosen.delta} (highest acceptance within 3 SE of plain)`
    : 'no setting keeps the agreement within 3 SE of plain',
);
if (write && chosen) {
  const file = join(referenceModelsDir(), draftName, 'model.json');
  const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
  manifest['defaults']['speculative'] = {
    ...manifest['defaults']['speculative'],
    lantern_k: chosen.k,
    lantern_delta: chosen.delta,
  };
  manifest['lantern_sweep'] = {
    command: `npx tsx tools/bench/lantern-sweep.ts ${perClass} --write`,
    images: n,
    setup: 'engine path of the image service, batch 1 + CFG, the target defaults, seeds 7 + i, one run per setting; class agreement by models/mnist-classifier',
    rule: 'highest acceptance whose class agreement >= plain - 3 SE (SE of plain over the same images)',
    plain: { agreement: plain.agreement, se, floor },
    standard: { acceptance: standard.acceptance, speed_up: plain.ms / standard.ms, agreement: standard.agreement },
    rows: rows.map((r) => ({ k: r.k, delta: r.delta, acceptance: r.acceptance, speed_up: r.speedUp, agreement: r.agreement })),
    chosen: { k: chosen.k, delta: chosen.delta },
  };
  await writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
await repository.close();
