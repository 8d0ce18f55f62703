// 3D shape benchmark on the reference models, side by side in one run: coarse-to-fine
// next-scale over octree levels (shape-octree: one forward per level) vs next-token over the
// finest level (shape-raster: one forward per token), the same classes and seeds for both:
// model calls and ms per shape at batch 1 (median of interleaved rounds), shapes/s at batch 1
// and 16, the speed-up, and what each produced — class agreement by the voxel judge, valid
// fraction (one piece), and coverage / minimum matching distance (1 − IoU) against the held-out
// real shapes.
// Usage: npx tsx tools/bench/shape.ts [rounds=3] [shapesPerClass=4]
import { runToResult } from '@nextx/engine';
import type { VoxelGrid } from '@nextx/media';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import {
  coverageAndMmd,
  isValidShape,
  loadHeldoutShapes,
  loadShapePipeline,
  ShapeJudge,
  type ShapePipeline,
} from '@nextx/shape';
import { median, report, spread } from './paired';

const rounds = Number(process.argv[2] ?? 3);
const perClass = Number(process.argv[3] ?? 4);
const repository = new ModelRepository(referenceModelsDir(), {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
});
const BATCH = 16;
const generators = {
  'next-scale (shape-octree)': await loadShapePipeline(repository, 'shape-octree', { maxBatch: BATCH }),
  'next-token (shape-raster)': await loadShapePipeline(repository, 'shape-raster', { maxBatch: BATCH }),
};
const judge = await ShapeJudge.load(repository);
const heldout = await loadHeldoutShapes(repository);
const classes = generators['next-scale (shape-octree)'].facts.classes;

async function one(pipeline: ShapePipeline, classLabel: number, seed: number) {
  const { grids, steps, ms } = await batch(pipeline, [classLabel], seed);
  return { grid: grids[0], steps, ms };
}

/** One generation of `classLabels.length` shapes in one batch. */
async function batch(pipeline: ShapePipeline, classLabels: number[], seed: number) {
  const d = pipeline.facts.defaults;
  let steps = 0;
  const started = performance.now();
  const grids = await runToResult(
    pipeline.generate(
      {
        classLabels,
        guidanceScale: d.guidanceScale,
        sampling: { temperature: d.temperature, topK: d.topK, topP: d.topP },
        resolution: pipeline.facts.grid,
      },
      { seed },
    ),
    (e) => (steps = e.step),
  );
  return { grids, steps, ms: performance.now() - started };
}

// Warm-up: one shape each, so sessions and caches are ready on both sides.
for (const pipeline of Object.values(generators)) await one(pipeline, 0, 1);

const results = new Map<string, { ms: number[]; steps: number; grids: VoxelGrid[]; wanted: number[] }>();
for (const name of Object.keys(generators)) results.set(name, { ms: [], steps: 0, grids: [], wanted: [] });
for (let round = 0; round < rounds; round++)
  for (const [c] of classes.entries())
    for (let k = 0; k < perClass; k++)
      // Interleaved: each shape is made by both generators back to back.
      for (const [name, pipeline] of Object.entries(generators)) {
        const r = results.get(name)!;
        const shape = await one(pipeline, c, 1000 * round + 10 * c + k + 1);
        r.ms.push(shape.ms);
        r.steps = shape.steps;
        if (round === 0) {
          r.grids.push(shape.grid);
          r.wanted.push(c);
        }
      }

const realGrids = heldout.map((h) => h.grid);
const realLabels = await judge.classify(realGrids);
const realAgreement = heldout.filter((h, i) => realLabels[i] === h.classLabel).length / heldout.length;
console.log(
  `${classes.length} classes × ${perClass} shapes, ${rounds} interleaved rounds; judge on ${heldout.length} held-out real shapes: ${(100 * realAgreement).toFixed(1)} %\n`,
);
console.log('generator                    | calls/shape | ms/shape (median) | class agreement | valid  | COV   | MMD');
const medians: number[] = [];
for (const [name, r] of results) {
  const labels = await judge.classify(r.grids);
  const agreement = r.wanted.filter((c, i) => labels[i] === c).length / r.wanted.length;
  const valid = r.grids.filter((g) => isValidShape(g)).length / r.grids.length;
  const { coverage, mmd } = coverageAndMmd(r.grids, realGrids);
  const ms = median(r.ms);
  medians.push(ms);
  console.log(
    `${name.padEnd(28)} | ${String(r.steps).padStart(11)} | ${ms.toFixed(1).padStart(17)} | ${(100 * agreement).toFixed(1).padStart(14)} % | ${(100 * valid).toFixed(0).padStart(4)} % | ${coverage.toFixed(3)} | ${mmd.toFixed(3)}`,
  );
}
// Throughput at batch 16: one generation of 16 shapes (two per class), interleaved rounds.
const batchLabels = Array.from({ length: BATCH }, (_, i) => i % classes.length);
const batchMs = new Map<string, number[]>(Object.keys(generators).map((n) => [n, []]));
for (let round = 0; round < rounds; round++)
  for (const [name, pipeline] of Object.entries(generators))
    batchMs.get(name)!.push((await batch(pipeline, batchLabels, 7000 + round)).ms);
console.log('\nshapes/s                     | batch 1 | batch 16');
for (const [i, name] of Object.keys(generators).entries())
  console.log(
    `${name.padEnd(28)} | ${(1000 / medians[i]).toFixed(1).padStart(7)} | ${((1000 * BATCH) / median(batchMs.get(name)!)).toFixed(1).padStart(8)}`,
  );
const pairs = results.get('next-token (shape-raster)')!.ms.map((t, i) => t / results.get('next-scale (shape-octree)')!.ms[i]);
console.log(`\nspeed-up of coarse-to-fine (pair ratios): ${spread(pairs, '×', 1)}`);
report({
  bench: 'shape',
  metric: 'shape next-scale (octree) vs next-token (raster), batch 1',
  values: pairs,
});
await repository.close();
