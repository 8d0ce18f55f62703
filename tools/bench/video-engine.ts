// Video engine benchmarks on the reference video models, side by side in one run (medians):
//  1. NBP next-block vs next-token baseline: frames/s on the same clip length, steps, ratio,
//     and per-frame classifier agreement of the clips each produced (speed must not cost quality)
//  2. per-frame time at 1×, 2×, 4× (and 8×) the model's context: the KV cache is trimmed from
//     the front, so the steady per-frame cost stays flat as the clip grows
// Usage: npx tsx tools/bench/video-engine.ts [rounds=3]
import { runToResult, type FramePreview, type ProgressEvent } from '@nextx/engine';
import { ModelRepository, ReferenceClassifier } from '@nextx/runtime';
import {
  clipQuality,
  drawMotions,
  loadVideoPipeline,
  type VideoFrame,
  type VideoPipeline,
} from '@nextx/video';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { median, report, spread } from './paired';

const rounds = Number(process.argv[2] ?? 3);
const repository = new ModelRepository(referenceModelsDir(), {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
});
const nbp = await loadVideoPipeline(repository, 'nbp-mmnist');
const ntp = await loadVideoPipeline(repository, 'ntp-mmnist');
const classifier = new ReferenceClassifier(
  (await repository.load('mnist-classifier')).graph('classifier'),
);

/** One clip: wall time, steps, per-frame times, frames and the conditions used. */
async function clip(pipeline: VideoPipeline, frames: number, seed: number) {
  const digits = [seed % 10, (seed * 7 + 3) % 10];
  const motions = drawMotions(2, seed, pipeline.info.motion);
  const perFrame: number[] = [];
  const started = performance.now();
  const result = await runToResult(
    pipeline.generator().generate(
      {
        frames,
        conditions: pipeline.conditions(digits, motions),
        sampling: {
          temperature: pipeline.info.defaults.temperature,
          topK: pipeline.info.defaults.topK,
          topP: pipeline.info.defaults.topP,
        },
      },
      { seed },
    ),
    (e: ProgressEvent) => perFrame.push((e.preview as FramePreview<VideoFrame>).ms),
  );
  return {
    ms: performance.now() - started,
    steps: result.steps,
    perFrame,
    frames: result.frames,
    digits,
    motions,
  };
}

const context = nbp.info.contextFrames;
for (const length of [2 * context, 4 * context]) {
  console.log(
    `# 1. next-block (nbp-mmnist) vs next-token (ntp-mmnist), ${length}-frame clips, ${rounds} rounds`,
  );
  const pipelines = [nbp, ntp];
  const stats = pipelines.map(() => ({ times: [] as number[], steps: 0, agreed: 0, counted: 0 }));
  for (const pipeline of pipelines) await clip(pipeline, 1, 1); // warm-up
  // The two models alternate within each round (the order flips every round).
  for (let r = 0; r < rounds; r++) {
    for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const pipeline = pipelines[k]!;
      const st = stats[k]!;
      const out = await clip(pipeline, length, 100 + r);
      st.times.push(out.ms);
      st.steps = out.steps;
      const q = await clipQuality(
        out.frames.map((f) => f.pixels),
        {
          digits: out.digits,
          motions: out.motions,
          frameSize: pipeline.info.frameSize,
          maxPosition: pipeline.info.motion.maxPosition,
        },
        classifier,
      );
      st.agreed += q.agreed;
      st.counted += q.counted;
    }
  }
  const rows = pipelines.map((pipeline, k) => ({
    name: pipeline.info.name,
    fps: length / (median(stats[k]!.times) / 1000),
    steps: stats[k]!.steps,
    agreement: stats[k]!.agreed / stats[k]!.counted,
  }));
  for (const row of rows)
    console.log(
      `${row.name.padEnd(12)} ${row.fps.toFixed(2).padStart(8)} frames/s  ${String(row.steps).padStart(5)} model steps  per-frame agreement ${row.agreement.toFixed(3)}`,
    );
  const ratios = stats[1]!.times.map((t, r) => t / stats[0]!.times[r]!);
  console.log(
    `next-block / next-token: ${spread(ratios)} frames/s, ${(rows[1]!.steps / rows[0]!.steps).toFixed(1)}× fewer steps`,
  );
  report({
    bench: 'video-engine',
    metric: `NBP (next-block) vs next-token, ${length}-frame clips`,
    values: ratios,
    detail: `per-frame agreement ${rows[0]!.agreement.toFixed(3)} vs ${rows[1]!.agreement.toFixed(3)}`,
  });
}
console.log(
  `\n# 2. per-frame time vs clip length (context = ${context} frames; frame 0 excluded for NBP: it is decoded token by token)`,
);
const multiples = [1, 2, 4, 8];
for (const pipeline of [nbp, ntp]) {
  const line: string[] = [];
  const perRound = multiples.map(() => [] as number[]);
  // Per round, every clip length in turn: the 4× / 1× ratio is taken within a round.
  for (let r = 0; r < rounds; r++)
    for (const [m, multiple] of multiples.entries()) {
      const out = await clip(pipeline, multiple * context, 200 + r);
      perRound[m]!.push(median(out.perFrame.slice(pipeline.info.family === 'nbp' ? 1 : 0)));
    }
  for (const [m, multiple] of multiples.entries())
    line.push(
      `${multiple}× (${multiple * context} frames): ${median(perRound[m]!).toFixed(1)} ms/frame`,
    );
  console.log(`${pipeline.info.name.padEnd(12)} ${line.join('   ')}`);
  report({
    bench: 'video-engine',
    metric: `${pipeline.info.name} per-frame time at 4× vs 1× context`,
    values: perRound[2]!.map((t, r) => t / perRound[0]![r]!),
    detail: 'flat is 1.00: the KV cache is trimmed from the front',
  });
}
