// Long video jobs over Kafka, end to end: submit → first progress latency (p50/p95) and jobs per
// minute with 1 and then 2 video-worker processes on the same job mix, printed side by side with
// the ratio. Each run gets its own topics and worker group on the broker in KAFKA_BROKERS (or on a
// local one started through tools/kafka, as npm test does), fresh worker processes, and a warm-up
// so every worker has loaded the model before the measured burst is submitted all at once.
// Usage: npx tsx tools/bench/video-jobs.ts [jobs=40] [model=nbp-mmnist]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { spawnService, workspaceRoot, type SpawnedService } from '@nextx/grpc/testing';
import {
  JobStateStore,
  JobSubmitter,
  createIdempotentProducer,
  createKafka,
  ensureTopics,
  jobIdFor,
  loadJobsConfig,
} from '@nextx/jobs';
import { testEnv, until } from '@nextx/jobs/testing';
import { jobs, type videoJob } from '@nextx/proto';
import { videoJobParams } from '../../apps/video-worker/src/video-job-spec';

const total = Number(process.argv[2] ?? 40);
const model = process.argv[3] ?? 'nbp-mmnist';
/** The job mix: clip lengths in frames, cycled; chunks of 4 frames (the model's context). */
const FRAMES = [4, 8, 16, 32];
const CHUNK_FRAMES = 4;
/** Jobs submitted one at a time before the burst (latency without queueing). */
const IDLE_JOBS = 10;
const root = workspaceRoot();
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

function video(frames: number, seed: number): videoJob.VideoJobSpec {
  return {
    clip: {
      model: { name: model, version: '' },
      digits: [seed % 10, (seed * 7) % 10],
      motions: [],
      frames,
      fps: 8,
      seed,
      sampling: {},
    },
    chunkFrames: CHUNK_FRAMES,
    outputFormat: 'gif',
  };
}

/** Starts the local broker when KAFKA_BROKERS is unset; returns how to stop it again. */
function ensureBroker(): () => void {
  if (process.env['KAFKA_BROKERS']) return () => undefined;
  const kafka = (command: string) =>
    execFileSync('bash', [join(root, 'tools/kafka/kafka.sh'), command, String(process.pid)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  kafka('up');
  process.env['KAFKA_BROKERS'] = `127.0.0.1:${process.env['KAFKA_PORT'] ?? 9092}`;
  return () => kafka('down');
}

async function startWorker(env: NodeJS.ProcessEnv): Promise<SpawnedService> {
  const worker = await spawnService(
    join(root, 'apps/video-worker/src/main.ts'),
    env as Record<string, string>,
    { waitForHealth: false },
  );
  await until(
    'video worker ready',
    () => {
      if (worker.process.exitCode !== null)
        throw new Error(`worker exited with ${worker.process.exitCode}:\n${worker.output()}`);
      return worker.output().includes('"msg":"video worker ready"');
    },
    120_000,
  );
  return worker;
}

interface Run {
  workers: number;
  jobsPerMinute: number;
  startP50: number;
  startP95: number;
  firstProgressP50: number;
  firstProgressP95: number;
  completionP50: number;
  wallSeconds: number;
  idleFirstProgressP50: number;
  idleFirstProgressP95: number;
}

/**
 * Watches the jobs of `keys` from before they are submitted (so no status is missed): when each
 * became RUNNING, stored its first chunk, and SUCCEEDED; `ended` resolves once all succeeded.
 */
function track(store: Pick<JobStateStore, 'watch'>, keys: readonly string[]) {
  const started = new Map<string, number>();
  const firstProgress = new Map<string, number>();
  const done = new Map<string, number>();
  const ended = Promise.all(
    keys.map(async (key) => {
      const id = jobIdFor(key);
      for await (const status of store.watch(id)) {
        const now = performance.now();
        if (status.state === jobs.JobState.JOB_STATE_RUNNING && !started.has(id))
          started.set(id, now);
        if (status.chunksDone >= 1 && !firstProgress.has(id)) firstProgress.set(id, now);
        if (status.state === jobs.JobState.JOB_STATE_SUCCEEDED) done.set(id, now);
      }
    }),
  ).then(() => undefined);
  return { started, firstProgress, done, ended };
}

async function measure(workerCount: number): Promise<Run> {
  const env = { ...testEnv(`bench-${workerCount}w`), MODELS_DIR: join(root, 'models') };
  const config = loadJobsConfig(env);
  const kafka = createKafka(config);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const store = new JobStateStore(kafka, config);
  await store.start();
  const submitter = new JobSubmitter({ producer, store, config });
  const workers = await Promise.all(Array.from({ length: workerCount }, () => startWorker(env)));
  const submit = (key: string, spec: videoJob.VideoJobSpec) =>
    submitter.submit({ idempotencyKey: key, kind: 'video', params: videoJobParams.pack(spec) });
  const succeeded = (id: string) => store.get(id)?.state === jobs.JobState.JOB_STATE_SUCCEEDED;
  try {
    // Warm-up until every worker has run a job (loaded the model on its generation thread).
    for (let round = 0; ; round++) {
      const warm = await Promise.all(
        Array.from({ length: 2 * workerCount }, (_, i) =>
          submit(`warm-${round}-${i}`, video(2, 1000 + i)),
        ),
      );
      await until('warm-up', () => warm.every((w) => succeeded(w.job.jobId)), 120_000);
      if (workers.every((w) => w.output().includes('"msg":"clip written"'))) break;
      if (round === 10) throw new Error('a worker got no warm-up job in 10 rounds');
    }

    // One job at a time on an idle group: the latency without queueing.
    const idleFirstProgress: number[] = [];
    for (let i = 0; i < IDLE_JOBS; i++) {
      const timing = track(store, [`idle-${i}`]);
      const at = performance.now();
      await submit(`idle-${i}`, video(CHUNK_FRAMES * 2, 500 + i));
      await timing.ended;
      idleFirstProgress.push((timing.firstProgress.get(jobIdFor(`idle-${i}`)) ?? NaN) - at);
    }

    // The burst: every job submitted at once.
    const keys = Array.from({ length: total }, (_, i) => `job-${i}`);
    const { started, firstProgress, done, ended } = track(store, keys);
    const submittedAt = new Map<string, number>();
    const t0 = performance.now();
    await Promise.all(
      keys.map(async (key, i) => {
        const at = performance.now();
        const { job } = await submit(key, video(FRAMES[i % FRAMES.length], i + 1));
        submittedAt.set(job.jobId, at);
      }),
    );
    await ended;
    const wall = Math.max(...done.values()) - t0;
    const since = (m: Map<string, number>) =>
      [...m].map(([id, at]) => at - (submittedAt.get(id) ?? t0));
    return {
      workers: workerCount,
      jobsPerMinute: (total * 60_000) / wall,
      startP50: pct(since(started), 50),
      startP95: pct(since(started), 95),
      firstProgressP50: pct(since(firstProgress), 50),
      firstProgressP95: pct(since(firstProgress), 95),
      completionP50: pct(since(done), 50),
      wallSeconds: wall / 1000,
      idleFirstProgressP50: pct(idleFirstProgress, 50),
      idleFirstProgressP95: pct(idleFirstProgress, 95),
    };
  } finally {
    for (const w of workers) w.process.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await store.stop();
    await producer.disconnect();
    const { topics } = config;
    await admin
      .deleteTopics({ topics: [topics.jobs, topics.status, topics.commands, topics.deadLetter] })
      .catch(() => undefined);
    await admin.deleteGroups([config.workerGroup]).catch(() => undefined);
    await admin.disconnect();
  }
}

const stopBroker = ensureBroker();
try {
  const frames = Array.from({ length: total }, (_, i) => FRAMES[i % FRAMES.length]);
  console.log(
    `video jobs bench: ${total} jobs of ${FRAMES.join('/')} frames (${frames.reduce((a, b) => a + b, 0)} frames, ` +
      `chunks of ${CHUNK_FRAMES}, gif), model ${model}, broker ${process.env['KAFKA_BROKERS']}, submitted at once`,
  );
  const one = await measure(1);
  const two = await measure(2);
  const rows: [string, (r: Run) => number, number][] = [
    ['idle: submit → first progress p50 (ms)', (r) => r.idleFirstProgressP50, 0],
    ['idle: submit → first progress p95 (ms)', (r) => r.idleFirstProgressP95, 0],
    ['burst: jobs per minute', (r) => r.jobsPerMinute, 1],
    ['burst: submit → RUNNING p50 (ms)', (r) => r.startP50, 0],
    ['burst: submit → RUNNING p95 (ms)', (r) => r.startP95, 0],
    ['burst: submit → first progress p50 (ms)', (r) => r.firstProgressP50, 0],
    ['burst: submit → first progress p95 (ms)', (r) => r.firstProgressP95, 0],
    ['burst: submit → SUCCEEDED p50 (ms)', (r) => r.completionP50, 0],
    ['burst: wall time (s)', (r) => r.wallSeconds, 1],
  ];
  console.log(
    `${'metric'.padEnd(42)}${'1 worker'.padStart(12)}${'2 workers'.padStart(12)}${'2w / 1w'.padStart(10)}`,
  );
  for (const [name, get, digits] of rows) {
    console.log(
      `${name.padEnd(42)}${get(one).toFixed(digits).padStart(12)}${get(two).toFixed(digits).padStart(12)}` +
        `${(get(two) / get(one)).toFixed(2).padStart(10)}`,
    );
  }
  console.log(
    `first progress = the first status with a stored chunk (chunks_done ≥ 1); idle = ${IDLE_JOBS} jobs ` +
      `of ${CHUNK_FRAMES * 2} frames one at a time; burst = all ${total} jobs submitted at once`,
  );
} finally {
  stopBroker();
}
process.exit(0);
