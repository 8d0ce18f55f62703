// nextx vs transformers.js generate() on the same raster Llama weights (models/llama-mnist),
// greedy, in one process: (a) one stream; (b) 16 concurrent streams (nextx: temporal fusion into
// one batched forward per step through the model's kept FusedDecoder, as the image service runs
// them; transformers.js: 16 generate() calls in flight together). Both use
// onnxruntime-node with 1 intra-op thread. The two sides alternate (tools/bench/paired.ts): the
// ratio is the median of per-round ratios, with their min–max.
// Usage: npx tsx tools/bench/raster-vs-transformersjs.ts [rounds=7]
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { RasterGenerator, runToResult } from '@nextx/engine';
import { loadRasterPipeline } from '@nextx/image';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { median, paired, report, spread } from './paired';

const rounds = Number(process.argv[2] ?? 7);
const MODEL = 'llama-mnist';
const STREAMS = 16;

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

// nextx runs what the image service runs for a plain request (IMAGE_FUSION on, the default): the
// model's one FusedDecoder, made at load and kept (its KV buffers are allocated once). A decoder
// made per call would allocate its 9.6 MB of KV cache each time (16 rows), which is not what a
// service pays: fresh buffers fault their pages in, and freeing them keeps V8 collecting.
const fused = pipeline.fused();

async function nextxOne(label: number): Promise<number[]> {
  const generator = new RasterGenerator(fused.sequence(), pipeline.layout, noDecode);
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
// Time inside onnxruntime's run() on both sides: both run the same graph with the same session
// settings, so what separates them is the time each spends outside it (which bounds the 1-stream
// ratio: with no overhead at all nextx would be (transformers.js wall) / (its run() time) faster).
const hfSessions = (
  hf as unknown as { sessions: Record<string, { run: (...a: unknown[]) => Promise<unknown> }> }
).sessions;
const hfRun = { ms: 0 };
for (const session of Object.values(hfSessions)) {
  const run = session.run.bind(session);
  session.run = async (...args: unknown[]) => {
    const t = performance.now();
    try {
      return await run(...args);
    } finally {
      hfRun.ms += performance.now() - t;
    }
  };
}
const lm = pipeline.model.graph('decoder_lm');

let same = 0;
for (let c = 0; c < 10; c++) {
  const [a, b] = [await nextxOne(c), await hfOne(c)];
  if (a.join() === b.join()) same++;
}
console.log(`identical greedy token sequences: ${same}/10 classes`);

const labels = Array.from({ length: STREAMS }, (_, i) => i % 10);
const inside = { nextx: 0, hf: 0, nextxWall: 0, hfWall: 0 };
const one = await paired(
  rounds,
  async (r) => {
    const [run, t] = [lm.stats.runMs, performance.now()];
    await nextxOne(r % 10);
    inside.nextx += lm.stats.runMs - run;
    inside.nextxWall += performance.now() - t;
  },
  async (r) => {
    const [run, t] = [hfRun.ms, performance.now()];
    await hfOne(r % 10);
    inside.hf += hfRun.ms - run;
    inside.hfWall += performance.now() - t;
  },
);
const many = await paired(
  rounds,
  () => nextxFused(labels),
  () => Promise.all(labels.map(hfOne)),
);
const tps = (ms: number, streams: number) => (streams * tokens * 1000) / ms;
console.log(
  `(a) one stream, ${tokens} tokens, ${rounds} rounds: nextx ${tps(median(one.a), 1).toFixed(0)} tok/s, transformers.js ${tps(median(one.b), 1).toFixed(0)} tok/s, ratio ${spread(one.ratios)}`,
);
const outside = (run: number, wall: number) => (100 * (wall - run)) / wall;
console.log(
  `    time outside onnxruntime run() (warm-up included): nextx ${outside(inside.nextx, inside.nextxWall).toFixed(1)} %, transformers.js ${outside(inside.hf, inside.hfWall).toFixed(1)} %; run() per forward: nextx ${(inside.nextx / ((rounds + 1) * tokens)).toFixed(3)} ms, transformers.js ${(inside.hf / ((rounds + 1) * tokens)).toFixed(3)} ms`,
);
console.log(
  `(b) ${STREAMS} concurrent streams, ${rounds} rounds: nextx (fused) ${tps(median(many.a), STREAMS).toFixed(0)} tok/s, transformers.js ${tps(median(many.b), STREAMS).toFixed(0)} tok/s, ratio ${spread(many.ratios)}`,
);
report({
  bench: 'raster-vs-transformersjs',
  metric: 'nextx vs transformers.js, llama-mnist greedy, 1 stream',
  values: one.ratios,
  goal: { value: 1.3, atLeast: true },
});
report({
  bench: 'raster-vs-transformersjs',
  metric: `nextx (fused) vs transformers.js, ${STREAMS} streams`,
  values: many.ratios,
  goal: { value: 4, atLeast: true },
});
await repository.close();
