// Image engine benchmarks on the reference models, each side by side in one run (interleaved
// rounds, the median of per-round ratios with their min–max: tools/bench/paired.ts):
//  1. VAR next-scale vs raster next-token: images/s at batch 1 and 16 (defaults, CFG on)
//  2. speculative decoding (standard, LANTERN) vs plain raster sampling: speed-up, acceptance, class agreement
//  3. temporal fusion: 1, 4, 16 concurrent requests fused vs the same requests one after another
//  4. engine overhead: share of wall time spent outside onnxruntime's run(), raster batch 1 and 16
//  5. continuous tokens (xAR, MAR) vs discrete (VAR, raster): forwards per image, images/s at batch 1
//     and 16, class agreement and Fréchet distance (classifier features vs the 2,000 real test digits)
//  6. continuous speculative decoding (MAR + draft) vs plain MAR: acceptance, speed-up at batch 1, 4, 16
//  7. the same as 2 on llama-mnist-large (a compute-bound target) with llama-mnist as its draft
// Usage: npx tsx tools/bench/image-engine.ts [rounds=3] [sections=1,2,3,4,5,6,7]
import {
  LanternAcceptance,
  RasterGenerator,
  SpeculativeRasterGenerator,
  StandardAcceptance,
  runToResult,
} from '@nextx/engine';
import {
  DigitClassifier,
  loadMarPipeline,
  loadRasterPipeline,
  loadVarPipeline,
  loadXarPipeline,
  type ImageBatch,
  type RasterPipeline,
} from '@nextx/image';
import { frechetDistance, ModelRepository } from '@nextx/runtime';
import { createRequire } from 'node:module';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { lanternNeighbours, rasterRequest as rasterRequestAt } from './raster-bench';
import { median, paired, report, spread, time } from './paired';

const rounds = Number(process.argv[2] ?? 3);
const sections = new Set((process.argv[3] ?? '1,2,3,4,5,6,7').split(',').map(Number));
const repository = new ModelRepository(referenceModelsDir(), {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
});
const raster = await loadRasterPipeline(repository, 'llama-mnist', { maxBatch: 64 });
const varp = await loadVarPipeline(repository, 'var-mnist');
const classifier = new DigitClassifier(
  (await repository.load('mnist-classifier')).graph('classifier'),
);
const rasterRequest = (labels: number[]) => rasterRequestAt(raster, labels);
const varRequest = (labels: number[]) => ({
  classLabels: labels,
  cfg: varp.defaults.cfg,
  sampling: {
    temperature: varp.defaults.temperature,
    topK: varp.defaults.topK,
    topP: varp.defaults.topP,
  },
});

const batch = 16;
const labels16 = Array.from({ length: batch }, (_, i) => i % 10);
if (sections.has(1)) {
  // 1. VAR vs raster, at batch 1 and 16 (+ CFG)
  for (const n of [1, batch]) {
    const labels = labels16.slice(0, n);
    const t1 = await paired(
      rounds,
      (r) => runToResult(varp.generator(2 * n).generate(varRequest(labels), { seed: r })),
      (r) =>
        runToResult(
          raster.generator(raster.stepModel(2 * n)).generate(rasterRequest(labels), { seed: r }),
        ),
    );
    const ips = (ms: number) => (n * 1000) / ms;
    console.log(
      `1. batch ${n}: VAR ${ips(median(t1.a)).toFixed(1)} img/s (${varp.scales.length} steps), raster ${ips(median(t1.b)).toFixed(1)} img/s (${raster.layout.tokensPerImage} steps); VAR/raster ${spread(t1.ratios)}`,
    );
    report({
      bench: 'image-engine',
      metric: `VAR (next-scale) vs raster (next-token), batch ${n}`,
      values: t1.ratios,
    });
  }
}

/**
 * Speculative decoding with `target`'s draft model (standard and LANTERN) vs plain sampling, one
 * image at a time (batch 1 + CFG), `perClass` images of each digit.
 */
async function speculativeVsPlain(
  section: number,
  target: RasterPipeline,
  perClass: number,
  /** The goal for standard speculative decoding on this target, if it sets one. */
  standardGoal?: number,
) {
  const targetName = target.model.manifest.name;
  const draftName = target.draftName!;
  const draft = await loadRasterPipeline(repository, draftName, {
    maxBatch: 2,
    decoderFrom: target.model,
  });
  const neighbours = await lanternNeighbours(target);
  const labels = Array.from({ length: 10 * perClass }, (_, i) => Math.floor(i / perClass));
  const agreement = (media: ImageBatch) => classifier.agreement(media, labels);
  const request = (l: number[]) => rasterRequestAt(target, l);
  /** Plain sampling one image at a time (batch 1 + CFG), like the speculative runs. */
  const plainRun = async () => {
    const step = target.stepModel(2);
    const parts: ImageBatch[] = [];
    for (const [i, label] of labels.entries()) {
      parts.push(
        (
          await runToResult(
            new RasterGenerator(step, target.layout, target.decoder).generate(request([label]), {
              seed: 7 + i,
            }),
          )
        ).media,
      );
    }
    const pixels = new Float32Array(parts.length * 32 * 32);
    parts.forEach((p, i) => pixels.set(p.pixels, i * 32 * 32));
    return { media: { ...parts[0], pixels, images: parts.length } };
  };
  const specRun = (rule: StandardAcceptance | LanternAcceptance) =>
    runToResult(
      new SpeculativeRasterGenerator(
        target.stepModel(2),
        draft.stepModel(2),
        target.layout,
        target.decoder,
        { draftTokens: target.speculative.draftTokens, rule },
      ).generate(request(labels), { seed: 7 }),
    );
  const lanternRule = () =>
    new LanternAcceptance({
      neighbours,
      k: target.speculative.lanternK,
      delta: target.speculative.lanternDelta,
    });
  // The three runs rotate their order every round; ratios are per round (plain ms / variant ms).
  const sides = {
    plain: {
      run: plainRun,
      ms: [] as number[],
      last: undefined as undefined | { media: ImageBatch; acceptanceRate?: number },
    },
    standard: {
      run: () => specRun(new StandardAcceptance()),
      ms: [] as number[],
      last: undefined as undefined | { media: ImageBatch; acceptanceRate?: number },
    },
    lantern: {
      run: () => specRun(lanternRule()),
      ms: [] as number[],
      last: undefined as undefined | { media: ImageBatch; acceptanceRate?: number },
    },
  };
  const order = ['plain', 'standard', 'lantern'] as const;
  await sides.standard.run();
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < order.length; k++) {
      const side = sides[order[(k + r) % order.length]!];
      const t = performance.now();
      side.last = await side.run();
      side.ms.push(performance.now() - t);
    }
  }
  const ratios = (ms: number[]) => ms.map((m, r) => sides.plain.ms[r]! / m);
  console.log(
    `${section}. ${targetName}: ${labels.length} images one at a time (batch 1 + CFG), draft ${draftName}, γ=${target.speculative.draftTokens}, ${rounds} rounds:`,
  );
  const plainAgree = await agreement(sides.plain.last!.media);
  console.log(
    `   plain     ${median(sides.plain.ms).toFixed(0)} ms, class agreement ${plainAgree.toFixed(2)}`,
  );
  for (const [name, label] of [
    ['standard', 'standard'],
    ['lantern', `LANTERN (k=${target.speculative.lanternK}, δ=${target.speculative.lanternDelta})`],
  ] as const) {
    const side = sides[name];
    const agree = await agreement(side.last!.media);
    console.log(
      `   ${label}  ${median(side.ms).toFixed(0)} ms (${spread(ratios(side.ms))}), acceptance ${((side.last!.acceptanceRate ?? 0) * 100).toFixed(1)} %, class agreement ${agree.toFixed(2)}`,
    );
    report({
      bench: 'image-engine',
      metric: `${label} speculative (draft ${draftName}) vs plain, ${targetName} batch 1`,
      values: ratios(side.ms),
      detail: `class agreement ${agree.toFixed(2)} vs plain ${plainAgree.toFixed(2)} (${labels.length} images)`,
      ...(standardGoal && name === 'standard'
        ? { goal: { atLeast: true, value: standardGoal } }
        : {}),
    });
  }
}

// 2. speculative decoding on llama-mnist, whose forward is overhead-bound
if (sections.has(2)) await speculativeVsPlain(2, raster, 10);

if (sections.has(3)) {
  // 3. temporal fusion
  const noDecode = { decode: async () => undefined };
  for (const n of [1, 4, 16]) {
    const reqs = Array.from({ length: n }, (_, i) => rasterRequest([i % 10]));
    // One fused decoder per level, as a service keeps one per model (its buffers are allocated once).
    const fused = raster.fused();
    const t3 = await paired(
      rounds,
      () =>
        Promise.all(
          reqs.map((q, i) =>
            runToResult(
              new RasterGenerator(fused.sequence(), raster.layout, noDecode).generate(q, {
                seed: i,
              }),
            ),
          ),
        ),
      async () => {
        for (const [i, q] of reqs.entries())
          await runToResult(
            new RasterGenerator(raster.stepModel(2), raster.layout, noDecode).generate(q, {
              seed: i,
            }),
          );
      },
    );
    const rps = (ms: number) => (n * 1000) / ms;
    console.log(
      `3. ${String(n).padStart(2)} requests: fused ${rps(median(t3.a)).toFixed(1)} req/s, one after another ${rps(median(t3.b)).toFixed(1)} req/s, ${spread(t3.ratios)}`,
    );
    report({
      bench: 'image-engine',
      metric: `raster fusion on vs off, ${n} concurrent 1-image requests (llama-mnist)`,
      values: t3.ratios,
    });
  }
}

if (sections.has(4)) {
  // 4. engine overhead: share of each run's wall time spent outside onnxruntime's run(), with the
  //    step model kept from request to request (as a service's long-lived decoder is: its views
  //    and onnxruntime tensors are made once) and with a fresh one per request.
  const lm = raster.model.graph('decoder_lm');
  const dec = raster.model.graph('decoder');
  for (const n of [1, batch]) {
    const labels = labels16.slice(0, n);
    const kept = raster.stepModel(2 * n);
    for (const fresh of [false, true]) {
      const shares: number[] = [];
      let outside = 0;
      let total = 0;
      const model = () => (fresh ? raster.stepModel(2 * n) : kept);
      // Each round: `requests` requests one after another (a few ms each at batch 1, so a round
      // of one would be mostly timer and GC noise), after as many warm-up requests.
      const requests = n === 1 ? 10 : 1;
      const serve = async (seed: number) => {
        for (let i = 0; i < requests; i++)
          await runToResult(
            raster.generator(model()).generate(rasterRequest(labels), { seed: seed + i }),
          );
      };
      await serve(0);
      for (let r = 0; r < Math.max(rounds, 3); r++) {
        const before = lm.stats.runMs + dec.stats.runMs;
        const wall = await time(() => serve(100 * (r + 1)));
        const inside = lm.stats.runMs + dec.stats.runMs - before;
        shares.push(((wall - inside) / wall) * 100);
        outside += wall - inside;
        total += wall;
      }
      const how = fresh ? 'a fresh step model per request' : 'step model kept across requests';
      console.log(
        `4. raster batch ${n}, ${how}: ${spread(shares, ' %', 1)} of wall time outside onnxruntime run() (${outside.toFixed(0)} of ${total.toFixed(0)} ms)`,
      );
      report({
        bench: 'image-engine',
        metric: `engine overhead outside run(), raster batch ${n}, ${how}`,
        values: shares,
        unit: '%',
        ...(n === 1 && !fresh ? { goal: { value: 5, atLeast: false } } : {}),
      });
    }
  }
}

if (sections.has(5) || sections.has(6)) await continuousSections();

/** Sections 5 and 6: the continuous-token models beside the discrete ones. */
async function continuousSections(): Promise<void> {
  const xar = await loadXarPipeline(repository, 'xar-mnist');
  const mar = await loadMarPipeline(repository, 'mar-mnist');
  const marDraft = await loadMarPipeline(repository, 'mar-mnist-draft');
  const steps = mar.defaults.numSamplingSteps;
  const real = await realFeatures();
  const graphsOf = (model: { graph(name: string): { stats: { runs: number } } }, names: string[]) =>
    names.map((n) => model.graph(n));
  type Family = {
    name: string;
    graphs: { stats: { runs: number } }[];
    run: (labels: number[], seed: number) => Promise<ImageBatch>;
  };
  const families: Family[] = [
    {
      name: 'xar-mnist (xAR)',
      graphs: graphsOf(xar.model, ['step']),
      run: async (labels, seed) =>
        (
          await runToResult(
            xar.generator(2 * labels.length).generate(
              {
                classLabels: labels,
                guidanceScale: xar.defaults.guidanceScale,
                flowSteps: xar.defaults.flowSteps,
              },
              { seed },
            ),
          )
        ).media,
    },
    {
      name: 'mar-mnist (MAR)',
      graphs: graphsOf(mar.model, ['backbone', 'head']),
      run: async (labels, seed) =>
        (await runToResult(mar.generator(steps).generate(marRequest(labels), { seed }))).media,
    },
    {
      name: 'var-mnist (VAR)',
      graphs: graphsOf(varp.model, ['step', 'scale_update', 'decoder']),
      run: async (labels, seed) =>
        (
          await runToResult(
            varp.generator(2 * labels.length).generate(varRequest(labels), { seed }),
          )
        ).media,
    },
    {
      name: 'llama-mnist (raster)',
      graphs: graphsOf(raster.model, ['decoder_lm', 'decoder']),
      run: async (labels, seed) =>
        (
          await runToResult(
            raster
              .generator(raster.stepModel(2 * labels.length))
              .generate(rasterRequest(labels), { seed }),
          )
        ).media,
    },
  ];
  function marRequest(labels: number[]) {
    return {
      classLabels: labels,
      guidanceScale: mar.defaults.guidanceScale,
      temperature: mar.defaults.temperature,
      numIter: mar.defaults.numIter,
    };
  }
  if (sections.has(5)) {
    const quality = Array.from({ length: 200 }, (_, i) => Math.floor(i / 20));
    console.log('5. continuous vs discrete tokens (defaults, CFG on; 1 thread):');
    console.log(
      '   model                 forwards/img  img/s b1  img/s b16  agreement  FD (200 images)',
    );
    for (const f of families) {
      const runsBefore = f.graphs.reduce((n, g) => n + g.stats.runs, 0);
      await f.run([3], 0);
      const forwards = f.graphs.reduce((n, g) => n + g.stats.runs, 0) - runsBefore;
      const b1: number[] = [];
      const b16: number[] = [];
      for (let r = 0; r < rounds; r++) {
        b1.push(await time(() => f.run([r % 10], r)));
        b16.push(await time(() => f.run(labels16, r)));
      }
      const parts: ImageBatch[] = [];
      for (let c = 0; c < 10; c++)
        parts.push(await f.run(quality.slice(c * 20, c * 20 + 20), 100 + c));
      const pixels = new Float32Array(200 * 32 * 32);
      parts.forEach((p, i) => pixels.set(p.pixels, i * 20 * 32 * 32));
      const media = { ...parts[0], pixels, images: 200 };
      const scored = await classifier.classify(media);
      const agree = scored.labels.reduce((n, l, i) => n + (l === quality[i] ? 1 : 0), 0) / 200;
      const fd = frechetDistance(
        { features: scored.features, items: 200 },
        real,
        scored.featureDims,
      );
      console.log(
        `   ${f.name.padEnd(22)}${String(forwards).padStart(12)}${(1000 / median(b1)).toFixed(1).padStart(10)}${((16 * 1000) / median(b16)).toFixed(1).padStart(11)}${agree.toFixed(3).padStart(11)}${fd.toFixed(2).padStart(8)}`,
      );
    }
  }
  if (sections.has(6)) {
    console.log(
      `6. MAR continuous speculative decoding (draft ${marDraft.model.manifest.name}) vs plain, ${steps} diffusion steps:`,
    );
    for (const batchSize of [1, 4, 16]) {
      const labels = Array.from({ length: batchSize }, (_, i) => i % 10);
      const plainMs: number[] = [];
      const specMs: number[] = [];
      let acceptance = 0;
      for (let r = 0; r < rounds; r++) {
        plainMs.push(
          await time(() =>
            runToResult(mar.generator(steps).generate(marRequest(labels), { seed: r })),
          ),
        );
        specMs.push(
          await time(async () => {
            const out = await runToResult(
              mar.generator(steps, marDraft).generate(marRequest(labels), { seed: r }),
            );
            acceptance += (out.acceptanceRate ?? 0) / rounds;
          }),
        );
      }
      const ratios = plainMs.map((p, i) => p / specMs[i]!);
      console.log(
        `   batch ${String(batchSize).padStart(2)}: plain ${median(plainMs).toFixed(0)} ms, CSpD ${median(specMs).toFixed(0)} ms, speed-up ${spread(ratios)}, acceptance ${(acceptance * 100).toFixed(1)} %`,
      );
      report({
        bench: 'image-engine',
        metric: `MAR continuous speculative (CSpD) vs plain, batch ${batchSize}`,
        values: ratios,
        detail: `acceptance ${(acceptance * 100).toFixed(1)} %`,
      });
    }
  }
}

/** Classifier features of the 2,000 real test digits (the last 200 of each class), as tools/models scores. */
async function realFeatures(): Promise<{ features: Float32Array; items: number }> {
  const mnist = createRequire(import.meta.url)('mnist') as Record<
    number,
    { length: number; get(i: number): number[] }
  >;
  const pixels = new Float32Array(2000 * 32 * 32);
  let n = 0;
  for (let c = 0; c < 10; c++)
    for (let i = mnist[c].length - 200; i < mnist[c].length; i++, n++) {
      const digit = mnist[c].get(i);
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) pixels[n * 1024 + (y + 2) * 32 + x + 2] = digit[y * 28 + x];
    }
  const scored = await classifier.classify({
    pixels,
    images: 2000,
    channels: 1,
    height: 32,
    width: 32,
  });
  return { features: scored.features, items: 2000 };
}

if (sections.has(7)) {
  // 7. speculative decoding on a compute-bound target (its forward ~10x llama-mnist's), drafted
  // by llama-mnist itself
  const large = await loadRasterPipeline(repository, 'llama-mnist-large', { maxBatch: 2 });
  await speculativeVsPlain(7, large, 4, 1.5);
}

await repository.close();
