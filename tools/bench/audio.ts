// Audio benchmarks on the reference note models, side by side in one run (medians of rounds):
//  1. AR (MusicGen delay pattern) vs MAGNeT (masked decoding) on the same notes and codec:
//     model steps, real-time factor (audio seconds / wall seconds), time to the first audio
//     chunk, and the family / pitch agreement of what each produced (speed must not cost quality)
//  2. AR requests batched (one fused forward per step, the service's path) vs one after another,
//     at 1, 4 and 16 concurrent requests: wall time and the ratio
// Usage: npx tsx tools/bench/audio.ts [rounds=3] [notes=20]
import { runToResult, type FrameChunk, type ProgressEvent } from '@nextx/engine';
import {
  loadMagnetPipeline,
  loadMusicgenPipeline,
  NoteJudge,
  type AudioBatch,
  type JudgedNote,
} from '@nextx/audio';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { median, paired, report, spread } from './paired';

const rounds = Number(process.argv[2] ?? 3);
const notes = Number(process.argv[3] ?? 20);
const SECONDS = 1;
function fail(message: string): never {
  throw new Error(message);
}
const repository = new ModelRepository(referenceModelsDir(), {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
});
const ar = await loadMusicgenPipeline(repository, 'musicgen-notes', { maxBatch: 64 });
const magnet = await loadMagnetPipeline(repository, 'magnet-notes');
const judge = await NoteJudge.load(repository);
const f = ar.facts;
// One fused decoder for the run, as the service keeps one per model.
const fusedAr = ar.fused();
const frames = Math.ceil((SECONDS * f.sampleRate) / ar.codec.facts.hop);
const d = f.musicgen ?? fail('musicgen-notes has no MusicGen defaults');
const m = magnet.facts.magnet ?? fail('magnet-notes has no MAGNeT defaults');

/** The i-th note of the bench: families in turn, pitches spread over the range. */
function condition(i: number) {
  const family = i % f.families.length;
  const pitch = f.pitchMin + ((i * 7) % (f.pitchMax - f.pitchMin + 1));
  return { family, pitch, ids: [family, pitch - f.pitchMin] };
}

async function arClip(i: number, model = ar.stepModel(2)) {
  const c = condition(i);
  const started = performance.now();
  let firstChunkMs = 0;
  const result = await runToResult(
    ar.generator(model, 5).generate(
      {
        conditions: [c.ids],
        nullCondition: [f.nullFamily, f.nullPitch],
        frames,
        guidanceScale: d.cfgCoef,
        sampling: { temperature: d.temperature, topK: d.topK, topP: d.topP },
      },
      { seed: 1000 + i },
    ),
    (e: ProgressEvent) => {
      if (!firstChunkMs && (e.preview as FrameChunk<AudioBatch> | undefined))
        firstChunkMs = performance.now() - started;
    },
  );
  return {
    ms: performance.now() - started,
    firstChunkMs,
    steps: frames + Math.max(...f.delays),
    note: { samples: result.media.samples, family: c.family, pitch: c.pitch },
  };
}

async function magnetClip(i: number) {
  const c = condition(i);
  const span = magnet.facts.spanLength;
  const started = performance.now();
  const result = await runToResult(
    magnet.generator().generate(
      {
        conditions: [c.ids],
        nullCondition: [magnet.facts.nullFamily, magnet.facts.nullPitch],
        frames: Math.ceil(frames / span) * span,
        decodingSteps: m.decodingSteps,
        maxCfg: m.maxCfgCoef,
        minCfg: m.minCfgCoef,
        temperature: m.temperature,
        annealTemperature: m.annealTemperature,
        topK: m.topK,
        topP: m.topP,
      },
      { seed: 1000 + i },
    ),
  );
  const ms = performance.now() - started;
  // Nothing is final before the last codebook's last iteration: the first audio is the whole clip.
  return {
    ms,
    firstChunkMs: ms,
    steps: m.decodingSteps.reduce((a, b) => a + b, 0),
    note: { samples: result.media.samples, family: c.family, pitch: c.pitch },
  };
}

type Clip = Awaited<ReturnType<typeof arClip>>;
const METHODS = [
  ['AR (musicgen-notes)', arClip],
  ['MAGNeT (magnet-notes)', magnetClip],
] as const;

console.log(
  `audio bench: ${notes} notes of ${SECONDS} s per method and round, ${rounds} rounds, 1 onnxruntime thread`,
);
const walls: number[][] = METHODS.map(() => []);
const firsts: number[][] = METHODS.map(() => []);
const steps: number[] = [];
const judged: JudgedNote[][] = [];
// Methods alternate within each round so machine drift hits both alike.
for (let r = 0; r < rounds; r++) {
  for (const [k, [, run]] of METHODS.entries()) {
    const clips: Clip[] = [];
    for (let i = 0; i < notes; i++) clips.push(await run(i));
    walls[k].push(median(clips.map((c) => c.ms)));
    firsts[k].push(median(clips.map((c) => c.firstChunkMs)));
    steps[k] = clips[0].steps;
    if (r === 0) judged[k] = clips.map((c) => c.note);
  }
}
const results = [];
for (const [k, [name]] of METHODS.entries())
  results.push({
    name,
    ms: median(walls[k]),
    firstMs: median(firsts[k]),
    steps: steps[k],
    agreement: await judge.score(judged[k]),
  });
console.log('\n1. AR vs MAGNeT (per clip, medians)');
console.log(
  'method                  steps   wall ms   RTF     first audio ms   family   pitch ±0   pitch ±1',
);
for (const r of results)
  console.log(
    `${r.name.padEnd(22)} ${String(r.steps).padStart(6)} ${r.ms.toFixed(0).padStart(9)} ${(SECONDS / (r.ms / 1000)).toFixed(2).padStart(6)} ${r.firstMs.toFixed(0).padStart(16)}   ${r.agreement.familyAgreement.toFixed(2).padStart(6)}   ${r.agreement.pitchAgreementExact.toFixed(2).padStart(8)}   ${r.agreement.pitchAgreementWithin1.toFixed(2).padStart(8)}`,
  );
// Per round, the two methods ran back to back on the same notes: per-round ratios.
const wallRatios = walls[1].map((w, r) => w / walls[0][r]);
const firstRatios = firsts[1].map((w, r) => w / firsts[0][r]);
console.log(
  `MAGNeT / AR wall time: ${spread(wallRatios)}; first audio MAGNeT / AR: ${spread(firstRatios)}`,
);
report({
  bench: 'audio',
  metric: 'AR (musicgen-notes) vs MAGNeT (magnet-notes), wall time per 1 s clip',
  values: wallRatios,
  detail: `RTF ${(SECONDS / (results[0].ms / 1000)).toFixed(2)} vs ${(SECONDS / (results[1].ms / 1000)).toFixed(2)}`,
});
report({
  bench: 'audio',
  metric: 'AR vs MAGNeT, time to the first audio chunk',
  values: firstRatios,
});

console.log('\n2. AR: batched (one fused forward per step) vs one after another');
console.log('concurrent   one-by-one ms   batched ms   speed-up   audio s per wall s (batched)');
for (const n of [1, 4, 16]) {
  const t2 = await paired(
    rounds,
    () => Promise.all(Array.from({ length: n }, (_, i) => arClip(i, fusedAr.codebookSequence()))),
    async () => {
      for (let i = 0; i < n; i++) await arClip(i);
    },
    0,
  );
  const [s, b] = [median(t2.b), median(t2.a)];
  console.log(
    `${String(n).padStart(10)} ${s.toFixed(0).padStart(15)} ${b.toFixed(0).padStart(12)} ${spread(t2.ratios).padStart(20)} ${((n * SECONDS) / (b / 1000)).toFixed(2).padStart(14)}`,
  );
  report({
    bench: 'audio',
    metric: `audio AR fusion on vs off, ${n} concurrent 1 s requests`,
    values: t2.ratios,
  });
}
