// Speculative decoding without a draft model vs plain raster sampling on llama-mnist, batch 1 with
// CFG, side by side in one run: Speculative Jacobi decoding (window L) and the Medusa draft heads
// inside the target's graph (llama-mnist-heads, γ drafts per forward, standard or LANTERN rule).
// Per variant: target forwards per image, wall time (pair ratios of interleaved rounds: median and
// min–max), acceptance, and class agreement by the repository's digit classifier on the same labels.
// Usage: npx tsx tools/bench/raster-self-speculative.ts [rounds=3] [images per class=5]
//        [variants=sjd8,heads4,heads4-lantern]   (sjdL[-lantern]: SJD window L; headsG[-lantern]:
//        γ = G heads; -lantern: LANTERN's relaxed rule at the draft's defaults instead of the exact one)
import {
  DraftHeadRasterGenerator,
  JacobiRasterGenerator,
  LanternAcceptance,
  RasterGenerator,
  StandardAcceptance,
  runToResult,
  type Generator,
  type RasterRequest,
} from '@nextx/engine';
import { DigitClassifier, type ImageBatch } from '@nextx/image';
import { lanternNeighbours, llamaMnistWithHeads, rasterRequest } from './raster-bench';
import { median, report } from './paired';

const rounds = Number(process.argv[2] ?? 3);
const perClass = Number(process.argv[3] ?? 5);
const variants = (process.argv[4] ?? 'sjd8,heads4,heads4-lantern').split(',');

const { repository, raster, heads } = await llamaMnistWithHeads();
const headStep = heads.stepModel(2);
const classifier = new DigitClassifier(
  (await repository.load('mnist-classifier')).graph('classifier'),
);
const labels = Array.from({ length: 10 * perClass }, (_, i) => Math.floor(i / perClass));
const request = (label: number) => rasterRequest(raster, [label]);
const step = raster.stepModel(2);
const lantern = new LanternAcceptance({
  neighbours: await lanternNeighbours(raster),
  k: raster.speculative.lanternK,
  delta: raster.speculative.lanternDelta,
});

type Result = { media: ImageBatch; targetForwards?: number; acceptanceRate?: number };

/** The generator of a variant ('plain', 'sjdL', 'headsG', 'headsG-lantern'). */
function generator(variant: string): Generator<RasterRequest, Result> {
  if (variant === 'plain') return new RasterGenerator(step, raster.layout, raster.decoder);
  const sjd = /^sjd(\d+)(-lantern)?$/.exec(variant);
  if (sjd)
    return new JacobiRasterGenerator(step, raster.layout, raster.decoder, {
      window: Number(sjd[1]),
      rule: sjd[2] ? lantern : new StandardAcceptance(),
    });
  const medusa = /^heads(\d+)(-lantern)?$/.exec(variant);
  if (medusa)
    return new DraftHeadRasterGenerator(headStep, raster.layout, raster.decoder, {
      draftTokens: Number(medusa[1]),
      rule: medusa[2] ? lantern : new StandardAcceptance(),
    });
  throw new Error(`unknown variant ${variant} (plain, sjdL[-lantern], headsG[-lantern])`);
}

/** Generates every label one image at a time; returns the images, time and target forwards. */
async function run(variant: string, seed: number) {
  const parts: ImageBatch[] = [];
  let forwards = 0;
  let accepted = 0;
  const t = performance.now();
  for (const [i, label] of labels.entries()) {
    const result = await runToResult(
      generator(variant).generate(request(label), { seed: seed + i }),
    );
    parts.push(result.media);
    forwards += result.targetForwards ?? raster.layout.tokensPerImage;
    accepted += result.acceptanceRate ?? 0;
  }
  const ms = performance.now() - t;
  const pixels = new Float32Array(parts.length * 32 * 32);
  parts.forEach((p, i) => pixels.set(p.pixels, i * 32 * 32));
  const media = { ...parts[0], pixels, images: parts.length };
  return { ms, forwards: forwards / labels.length, acceptance: accepted / labels.length, media };
}

// Warm-up of every path.
for (const variant of ['plain', ...variants]) await run(variant, 1);
const plainMs: number[] = [];
const rows = new Map<
  string,
  { ratios: number[]; forwards: number[]; acceptance: number[]; agree: number[] }
>();
const plainAgree: number[] = [];
for (let r = 0; r < rounds; r++) {
  const plain = await run('plain', 100 * r);
  plainMs.push(plain.ms);
  plainAgree.push(await classifier.agreement(plain.media, labels));
  for (const variant of variants) {
    const fast = await run(variant, 100 * r);
    const row = rows.get(variant) ?? { ratios: [], forwards: [], acceptance: [], agree: [] };
    row.ratios.push(plain.ms / fast.ms);
    row.forwards.push(fast.forwards);
    row.acceptance.push(fast.acceptance);
    row.agree.push(await classifier.agreement(fast.media, labels));
    rows.set(variant, row);
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
  `  ${'plain'.padEnd(24)} ${raster.layout.tokensPerImage} forwards/image, ${(median(plainMs) / labels.length).toFixed(1)} ms/image, class agreement ${(pa * 100).toFixed(1)} % ± ${(se(pa) * 100).toFixed(1)}`,
);
/** A variant's name in the table. */
function label(variant: string): string {
  const sjd = /^sjd(\d+)(-lantern)?$/.exec(variant);
  if (sjd) return `speculative Jacobi L=${sjd[1]}${sjd[2] ? ' LANTERN' : ''}`;
  const medusa = /^heads(\d+)(-lantern)?$/.exec(variant)!;
  return `draft heads γ=${medusa[1]}${medusa[2] ? ' LANTERN' : ''}`;
}
for (const [variant, row] of rows) {
  const name = label(variant);
  const a = mean(row.agree);
  console.log(
    `  ${name.padEnd(24)} ${mean(row.forwards).toFixed(1)} forwards/image, speed-up ${median(row.ratios).toFixed(2)}× (${Math.min(...row.ratios).toFixed(2)}–${Math.max(...row.ratios).toFixed(2)}), acceptance ${(mean(row.acceptance) * 100).toFixed(1)} %, class agreement ${(a * 100).toFixed(1)} % ± ${(se(a) * 100).toFixed(1)}`,
  );
  report({
    bench: 'raster-self-speculative',
    metric: `${name} vs plain, llama-mnist batch 1`,
    values: row.ratios,
    goal: { value: 1.5, atLeast: true },
    detail: `class agreement ${(a * 100).toFixed(1)} % vs plain ${(pa * 100).toFixed(1)} % (± ${(se(pa) * 100).toFixed(1)})`,
  });
}
