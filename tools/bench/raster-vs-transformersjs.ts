// nextx vs transformers.js generate() on the same raster Llama weights (models/llama-mnist),
// greedy, in one process, alternating runs, medians. (a) one stream; (b) 16 concurrent streams
// (nextx: temporal fusion into one batched forward per step; transformers.js: 16 generate()
// calls in flight together). Both use onnxruntime-node with 1 intra-op thread.
// Usage: npx tsx tools/bench/raster-vs-transformersjs.ts [rounds=7]
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { RasterGenerator, runToResult } from '@nextx/engine';
import { loadRasterPipeline } from '@nextx/image';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';

const rounds = Number(process.argv[2] ?? 7);
const MODEL = 'llama-mnist';
const STREAMS = 16;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const repository = new ModelRepository(referenceModelsDir(), {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
});
const pipeline = await loadRasterPipeline(repository, MODEL, { maxBatch: STREAMS });
const tokens = pipeline.layout.tokensPerImage;
const greedy = { classLabels: [0], guidanceScale: 1, sampling: { topK: 1 } };
const noDecode = { decode: async () => undefined };

env.allowRemoteModels = false;
env.localModelPath = referenceModelsDir();
const hf = await AutoModelForCausalLM.from_pretrained(MODEL, {
  dtype: 'fp32',
  local_files_only: true,
  session_options: { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' },
});

async function nextxOne(label: number): Promise<number[]> {
  const generator = new RasterGenerator(pipeline.stepModel(1), pipeline.layout, noDecode);
  const r = await runToResult(generator.generate({ ...greedy, classLabels: [label] }, { seed: 1 }));
  return Array.from(r.codes);
}

async function hfOne(label: number): Promise<number[]> {
  const classToken = BigInt(pipeline.layout.classToken(label));
  const out = (await hf.generate({
    input_ids: new Tensor('int64', BigInt64Array.of(classToken), [1, 1]),
    attention_mask: new Tensor('int64', BigInt64Array.of(1n), [1, 1]),
    max_new_tokens: tokens,
    min_new_tokens: tokens,
    do_sample: false,
  })) as Tensor;
  return Array.from(out.data as BigInt64Array, Number).slice(1);
}

async function nextxFused(labels: number[]): Promise<void> {
  const fused = pipeline.fused();
  await Promise.all(
    labels.map((label) =>
      runToResult(
        new RasterGenerator(fused.sequence(), pipeline.layout, noDecode).generate(
          { ...greedy, classLabels: [label] },
          { seed: 1 },
        ),
      ),
    ),
  );
}

// Same tokens? (greedy on the same weights)
let same = 0;
for (let c = 0; c < 10; c++) {
  const [a, b] = [await nextxOne(c), await hfOne(c)];
  if (a.join() === b.join()) same++;
}
console.log(`identical greedy token sequences: ${same}/10 classes`);

const time = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
await nextxOne(0);
await hfOne(0);
const one = { nextx: [] as number[], hf: [] as number[] };
const many = { nextx: [] as number[], hf: [] as number[] };
const labels = Array.from({ length: STREAMS }, (_, i) => i % 10);
for (let r = 0; r < rounds; r++) {
  one.nextx.push(await time(() => nextxOne(r % 10)));
  one.hf.push(await time(() => hfOne(r % 10)));
  many.nextx.push(await time(() => nextxFused(labels)));
  many.hf.push(await time(() => Promise.all(labels.map(hfOne))));
}
const tps = (ms: number, streams: number) => (streams * tokens * 1000) / ms;
const a = { nextx: tps(median(one.nextx), 1), hf: tps(median(one.hf), 1) };
const b = { nextx: tps(median(many.nextx), STREAMS), hf: tps(median(many.hf), STREAMS) };
console.log(
  `(a) one stream, ${tokens} tokens, median of ${rounds}: nextx ${a.nextx.toFixed(0)} tok/s, transformers.js ${a.hf.toFixed(0)} tok/s, ratio ${(a.nextx / a.hf).toFixed(2)}x`,
);
console.log(
  `(b) ${STREAMS} concurrent streams, median of ${rounds}: nextx (fused) ${b.nextx.toFixed(0)} tok/s, transformers.js ${b.hf.toFixed(0)} tok/s, ratio ${(b.nextx / b.hf).toFixed(2)}x`,
);
await repository.close();
