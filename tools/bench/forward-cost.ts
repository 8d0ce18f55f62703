// What a speculative round pays on llama-mnist: the cost of one forward over n new tokens
// (2 rows: CFG, past of 32 positions) against one over a single token, for the plain graph and for
// the graph with draft heads (llama-mnist-heads), side by side in one run (pair ratios of
// interleaved rounds: median and min–max). A round that verifies γ drafts feeds γ + 1 tokens, so
// it pays off only if it emits more tokens than this ratio.
// Usage: npx tsx tools/bench/forward-cost.ts [rounds=7] [widths=2,3,5,9] [calls per round=200]
import type { TokenStepModel } from '@nextx/engine';
import { report, spread } from './paired';
import { llamaMnistWithHeads } from './raster-bench';

const rounds = Number(process.argv[2] ?? 7);
const widths = (process.argv[3] ?? '2,3,5,9').split(',').map(Number);
const calls = Number(process.argv[4] ?? 200);
const PAST = 32;

const { repository, raster, heads } = await llamaMnistWithHeads();
const models: [string, TokenStepModel][] = [
  ['llama-mnist', raster.stepModel(2)],
  [`${heads.name} (logits + draft_logits)`, heads.stepModel(2)],
];
const prefix = new Int32Array(2 * PAST).fill(3);

/** Milliseconds per forward of `width` new tokens after a past of PAST positions. */
async function perForward(model: TokenStepModel, width: number): Promise<number> {
  const tokens = new Int32Array(2 * width).fill(5);
  let total = 0;
  for (let i = 0; i < calls; i++) {
    model.reset(2);
    await model.forward(prefix, PAST);
    const t = performance.now();
    await model.forward(tokens, width);
    total += performance.now() - t;
  }
  return total / calls;
}

console.log(
  `forward cost vs new tokens, 2 rows, past ${PAST}, 1 onnxruntime thread, ${rounds} interleaved rounds of ${calls} calls`,
);
for (const [name, model] of models) {
  for (const width of widths) {
    // Interleaved, the order flipping every round, after one warm-up of each.
    await perForward(model, width);
    await perForward(model, 1);
    const ratios: number[] = [];
    const one: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const [wide, single] =
        r % 2 === 0
          ? [await perForward(model, width), await perForward(model, 1)]
          : [...[await perForward(model, 1), await perForward(model, width)]].reverse();
      ratios.push(wide / single);
      one.push(single);
    }
    console.log(
      `  ${name}: ${width} tokens cost ${spread(ratios, '×')} that of 1 (${(one.reduce((s, x) => s + x, 0) / one.length).toFixed(3)} ms)`,
    );
    report({
      bench: 'forward-cost',
      metric: `${name} forward of ${width} tokens vs 1 (2 rows)`,
      values: ratios,
      unit: 'x',
    });
  }
}
await repository.close();
