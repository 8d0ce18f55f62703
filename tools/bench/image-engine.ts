// Image engine benchmarks on the reference models, each side by side in one run (medians):
//  1. VAR next-scale vs raster next-token: images/s at equal batch (defaults, CFG on)
//  2. speculative decoding (standard, LANTERN) vs plain raster sampling: speed-up, acceptance, class agreement
//  3. temporal fusion: 1, 4, 16 concurrent requests fused vs the same requests one after another
//  4. engine overhead: share of wall time spent outside onnxruntime's run()
// Usage: npx tsx tools/bench/image-engine.ts [rounds=3]
import {
  LanternAcceptance,
  RasterGenerator,
  SpeculativeRasterGenerator,
  StandardAcceptance,
  runToResult,
} from '@nextx/engine';
import {
  DigitClassifier,
  loadRasterPipeline,
  loadVarPipeline,
  type ImageBatch,
} from '@nextx/image';
import { ModelRepository } from '@nextx/runtime';
import { readFile } from 'node:fs/promises';
import { referenceModelsDir } from '@nextx/runtime/testing';

const rounds = Number(process.argv[2] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
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
const rasterRequest = (labels: number[]) => ({
  classLabels: labels,
  guidanceScale: raster.defaults.guidanceScale,
  sampling: {
    temperature: raster.defaults.temperature,
    topK: raster.defaults.topK,
    topP: raster.defaults.topP,
  },
});
const varRequest = (labels: number[]) => ({
  classLabels: labels,
  cfg: varp.defaults.cfg,
  sampling: {
    temperature: varp.defaults.temperature,
    topK: varp.defaults.topK,
    topP: varp.defaults.topP,
  },
});

// 1. VAR vs raster
const batch = 16;
const labels16 = Array.from({ length: batch }, (_, i) => i % 10);
const t1 = { var: [] as number[], raster: [] as number[] };
for (let r = 0; r < rounds; r++) {
  t1.var.push(
    await time(() =>
      runToResult(varp.generator(2 * batch).generate(varRequest(labels16), { seed: r })),
    ),
  );
  t1.raster.push(
    await time(() =>
      runToResult(
        raster
          .generator(raster.stepModel(2 * batch))
          .generate(rasterRequest(labels16), { seed: r }),
      ),
    ),
  );
}
const ips = (ms: number) => (batch * 1000) / ms;
console.log(
  `1. batch ${batch}: VAR ${ips(median(t1.var)).toFixed(1)} img/s (${varp.scales.length} steps), raster ${ips(median(t1.raster)).toFixed(1)} img/s (${raster.layout.tokensPerImage} steps); VAR/raster ${(median(t1.raster) / median(t1.var)).toFixed(2)}x`,
);

// 2. speculative
const draftName = raster.draftName!;
const draft = await loadRasterPipeline(repository, draftName, {
  maxBatch: 2,
  decoderFrom: raster.model,
});
const neighboursJson = JSON.parse(
  await readFile(raster.model.file(raster.neighboursFile!), 'utf8'),
) as { k: number; neighbours: number[][] };
const neighbours = {
  indices: Int32Array.from(neighboursJson.neighbours.flat()),
  width: neighboursJson.k,
};
const perClass = 10;
const labels100 = Array.from({ length: 10 * perClass }, (_, i) => Math.floor(i / perClass));
const agreement = (media: ImageBatch) => classifier.agreement(media, labels100);
/** Plain sampling one image at a time (batch 1 + CFG), like the speculative runs. */
const plainRun = async () => {
  const step = raster.stepModel(2);
  const parts: ImageBatch[] = [];
  for (const [i, label] of labels100.entries()) {
    parts.push(
      (
        await runToResult(
          new RasterGenerator(step, raster.layout, raster.decoder).generate(
            rasterRequest([label]),
            { seed: 7 + i },
          ),
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
      raster.stepModel(2),
      draft.stepModel(2),
      raster.layout,
      raster.decoder,
      { draftTokens: raster.speculative.draftTokens, rule },
    ).generate(rasterRequest(labels100), { seed: 7 }),
  );
let t = performance.now();
const plain = await plainRun();
const plainMs = performance.now() - t;
t = performance.now();
const standard = await specRun(new StandardAcceptance());
const standardMs = performance.now() - t;
t = performance.now();
const lantern = await specRun(
  new LanternAcceptance({
    neighbours,
    k: raster.speculative.lanternK,
    delta: raster.speculative.lanternDelta,
  }),
);
const lanternMs = performance.now() - t;
console.log(
  `2. ${labels100.length} images one at a time (batch 1 + CFG), draft ${draftName}, γ=${raster.speculative.draftTokens}:`,
);
console.log(
  `   plain     ${plainMs.toFixed(0)} ms, class agreement ${(await agreement(plain.media)).toFixed(2)}`,
);
console.log(
  `   standard  ${standardMs.toFixed(0)} ms (${(plainMs / standardMs).toFixed(2)}x), acceptance ${(standard.acceptanceRate * 100).toFixed(1)} %, class agreement ${(await agreement(standard.media)).toFixed(2)}`,
);
console.log(
  `   LANTERN   ${lanternMs.toFixed(0)} ms (${(plainMs / lanternMs).toFixed(2)}x), acceptance ${(lantern.acceptanceRate * 100).toFixed(1)} % (k=${raster.speculative.lanternK}, δ=${raster.speculative.lanternDelta}), class agreement ${(await agreement(lantern.media)).toFixed(2)}`,
);

// 3. temporal fusion
const noDecode = { decode: async () => undefined };
for (const n of [1, 4, 16]) {
  const reqs = Array.from({ length: n }, (_, i) => rasterRequest([i % 10]));
  const fusedMs: number[] = [];
  const seqMs: number[] = [];
  // One fused decoder per level, as a service keeps one per model (its buffers are allocated once).
  const fused = raster.fused();
  for (let r = 0; r < rounds; r++) {
    fusedMs.push(
      await time(() =>
        Promise.all(
          reqs.map((q, i) =>
            runToResult(
              new RasterGenerator(fused.sequence(), raster.layout, noDecode).generate(q, {
                seed: i,
              }),
            ),
          ),
        ),
      ),
    );
    seqMs.push(
      await time(async () => {
        for (const [i, q] of reqs.entries())
          await runToResult(
            new RasterGenerator(raster.stepModel(2), raster.layout, noDecode).generate(q, {
              seed: i,
            }),
          );
      }),
    );
  }
  const rps = (ms: number) => (n * 1000) / ms;
  console.log(
    `3. ${String(n).padStart(2)} requests: fused ${rps(median(fusedMs)).toFixed(1)} req/s, one after another ${rps(median(seqMs)).toFixed(1)} req/s, ${(median(seqMs) / median(fusedMs)).toFixed(2)}x`,
  );
}

// 4. engine overhead
const lm = raster.model.graph('decoder_lm');
const dec = raster.model.graph('decoder');
const before = lm.stats.runMs + dec.stats.runMs;
t = performance.now();
for (let r = 0; r < rounds; r++)
  await runToResult(
    raster.generator(raster.stepModel(2 * batch)).generate(rasterRequest(labels16), { seed: r }),
  );
const wall = performance.now() - t;
const inside = lm.stats.runMs + dec.stats.runMs - before;
console.log(
  `4. raster batch ${batch}: ${(((wall - inside) / wall) * 100).toFixed(1)} % of wall time outside onnxruntime run() (${(wall - inside).toFixed(0)} of ${wall.toFixed(0)} ms)`,
);
await repository.close();
