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

const rounds = Number(process.argv[2] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
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
  const rows: { name: string; fps: number; steps: number; agreement: number }[] = [];
  for (const pipeline of [nbp, ntp]) {
    await clip(pipeline, 1, 1); // warm-up
    const times: number[] = [];
    let steps = 0;
    let agreed = 0;
    let counted = 0;
    for (let r = 0; r < rounds; r++) {
      const out = await clip(pipeline, length, 100 + r);
      times.push(out.ms);
      steps = out.steps;
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
      agreed += q.agreed;
      counted += q.counted;
    }
    rows.push({
      name: pipeline.info.name,
      fps: length / (median(times) / 1000),
      steps,
      agreement: agreed / counted,
    });
  }
  for (const row of rows)
    console.log(
      `${row.name.padEnd(12)} ${row.fps.toFixed(2).padStart(8)} frames/s  ${String(row.steps).padStart(5)} model steps  per-frame agreement ${row.agreement.toFixed(3)}`,
    );
  console.log(
    `next-block / next-token: ${(rows[0].fps / rows[1].fps).toFixed(1)}× frames/s, ${(rows[1].steps / rows[0].steps).toFixed(1)}× fewer steps`,
  );
}
console.log(
  `\n# 2. per-frame time vs clip length (context = ${context} frames; frame 0 excluded for NBP: it is decoded token by token)`,
);
for (const pipeline of [nbp, ntp]) {
  const line: string[] = [];
  for (const multiple of [1, 2, 4, 8]) {
    const frames = multiple * context;
    const medians: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const out = await clip(pipeline, frames, 200 + r);
      medians.push(median(out.perFrame.slice(pipeline.info.family === 'nbp' ? 1 : 0)));
    }
    line.push(`${multiple}× (${frames} frames): ${median(medians).toFixed(1)} ms/frame`);
  }
  console.log(`${pipeline.info.name.padEnd(12)} ${line.join('   ')}`);
}
