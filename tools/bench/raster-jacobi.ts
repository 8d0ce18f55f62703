// Speculative Jacobi decoding (no draft model) vs plain raster sampling on llama-mnist, batch 1
// with CFG, side by side in one run: target forwards per image, wall time (pair ratios of
// interleaved rounds: median and min–max), acceptance, and class agreement by the repository's
// digit classifier on the same labels.
// Usage: npx tsx tools/bench/raster-jacobi.ts [rounds=3] [images per class=5] [windows=4,8,16]
import {
  JacobiRasterGenerator,
  RasterGenerator,
  StandardAcceptance,
  runToResult,
} from '@nextx/engine';
import { DigitClassifier, loadRasterPipeline, type ImageBatch } from '@nextx/image';
import { rasterRequest } from './raster-bench';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { median, report } from './paired';

const rounds = Number(process.argv[2] ?? 3);
const perClass = Number(process.argv[3] ?? 5);
const windows = (process.argv[4] ?? '4,8,16').split(',').map(Number);

const repository = new ModelRepository(referenceModelsDir(), {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
});
const raster = await loadRasterPipeline(repository, 'llama-mnist', { maxBatch: 2 });
const classifier = new DigitClassifier(
  (await repository.load('mnist-classifier')).graph('classifier'),
);
const labels = Array.from({ length: 10 * perClass }, (_, i) => Math.floor(i / perClass));
const request = (label: number) => rasterRequest(raster, [label]);
const step = raster.stepModel(2);

/** Generates every label one image at a time; returns the images, time and target forwards. */
async function run(window: number | undefined, seed: number) {
  const parts: ImageBatch[] = [];
  let forwards = 0;
  let accepted = 0;
  const t = performance.now();
  for (const [i, label] of labels.entries()) {
    if (window === undefined) {
      const result = await runToResult(
        new RasterGenerator(step, raster.layout, raster.decoder).generate(request(label), {
          seed: seed + i,
        }),
      );
      parts.push(result.media);
      forwards += raster.layout.tokensPerImage;
    } else {
      const result = await runToResult(
        new JacobiRasterGenerator(step, raster.layout, raster.decoder, {
          window,
          rule: new StandardAcceptance(),
        }).generate(request(label), { seed: seed + i }),
      );
      parts.push(result.media);
      forwards += result.targetForwards;
      accepted += result.acceptanceRate;
    }
  }
  const ms = performance.now() - t;
  const pixels = new Float32Array(parts.length * 32 * 32);
  parts.forEach((p, i) => pixels.set(p.pixels, i * 32 * 32));
  const media = { ...parts[0], pixels, images: parts.length };
  return { ms, forwards: forwards / labels.length, acceptance: accepted / labels.length, media };
}

// Warm-up of both paths.
await run(undefined, 1);
await run(windows[0], 1);
const plainMs: number[] = [];
const rows = new Map<
  number,
  { ratios: number[]; forwards: number[]; acceptance: number[]; agree: number[] }
>();
const plainAgree: number[] = [];
for (let r = 0; r < rounds; r++) {
  const plain = await run(undefined, 100 * r);
  plainMs.push(plain.ms);
  plainAgree.push(await classifier.agreement(plain.media, labels));
  for (const window of windows) {
    const jacobi = await run(window, 100 * r);
    const row = rows.get(window) ?? { ratios: [], forwards: [], acceptance: [], agree: [] };
    row.ratios.push(plain.ms / jacobi.ms);
    row.forwards.push(jacobi.forwards);
    row.acceptance.push(jacobi.acceptance);
    row.agree.push(await classifier.agreement(jacobi.media, labels));
    rows.set(window, row);
  }
}
const n = labels.length * rounds;
const se = (p: number) => Math.sqrt((p * (1 - p)) / n);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pa = mean(plainAgree);
console.log(
  `llama-mnist, ${labels.length} images × ${rounds} rounds, batch 1 + CFG (scale ${raster.defaults.guidanceScale}), 1 onnxruntime thread`,
);
console.log(
  `  plain      ${raster.layout.tokensPerImage} forwards/image, ${(median(plainMs) / labels.length).toFixed(1)} ms/image, class agreement ${(pa * 100).toFixed(1)} % ± ${(se(pa) * 100).toFixed(1)}`,
);
for (const [window, row] of rows) {
  const a = mean(row.agree);
  console.log(
    `  SJD L=${String(window).padEnd(3)} ${mean(row.forwards).toFixed(1)} forwards/image, speed-up ${median(row.ratios).toFixed(2)}× (${Math.min(...row.ratios).toFixed(2)}–${Math.max(...row.ratios).toFixed(2)}), acceptance ${(mean(row.acceptance) * 100).toFixed(1)} %, class agreement ${(a * 100).toFixed(1)} % ± ${(se(a) * 100).toFixed(1)}`,
  );
  report({
    bench: 'raster-jacobi',
    metric: `speculative Jacobi L=${window} vs plain, llama-mnist batch 1`,
    values: row.ratios,
    goal: { value: 1.5, atLeast: true },
    detail: `class agreement ${(a * 100).toFixed(1)} % vs plain ${(pa * 100).toFixed(1)} % (± ${(se(pa) * 100).toFixed(1)})`,
  });
}
