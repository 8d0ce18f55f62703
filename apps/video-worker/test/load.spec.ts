import { codecs } from '@nextx/jobs';
import { testEnv, until } from '@nextx/jobs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsHarness, S, WorkerProcess, requireVideoModel, videoSpec } from './support';

const JOBS = 200;

describe('video worker processes under load (real broker, real model)', () => {
  let harness: JobsHarness;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    requireVideoModel();
    harness = await JobsHarness.open(testEnv('video-load'));
    workers = await Promise.all([
      WorkerProcess.start(harness.env),
      WorkerProcess.start(harness.env),
    ]);
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await harness?.close();
  });

  it(`${JOBS} small jobs submitted at once across 2 worker processes: all complete, none twice`, async () => {
    const started = Date.now();
    const submitted = await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        harness.submit(`small-${i}`, videoSpec({ frames: 1 + (i % 2), seed: i + 1 })),
      ),
    );
    const ids = submitted.map((s) => s.job.jobId);
    expect(new Set(ids).size).toBe(JOBS);
    await until(
      `${JOBS} jobs succeeded`,
      () => ids.every((id) => harness.store.get(id)?.state === S.JOB_STATE_SUCCEEDED),
      180_000,
    );
    const elapsed = Date.now() - started;
    // Count what the workers did: every job generated once and delivered successfully once.
    await until(
      'every delivery logged',
      () => workers.reduce((n, w) => n + w.logs('job delivery ended').length, 0) >= JOBS,
    );
    const count = (msg: string, outcome?: string) => {
      const perJob = new Map<string, number>();
      for (const line of workers.flatMap((w) => w.logs(msg))) {
        if (outcome && line['outcome'] !== outcome) continue;
        const id = String(line['jobId']);
        perJob.set(id, (perJob.get(id) ?? 0) + 1);
      }
      return perJob;
    };
    const chunkWrites = count('chunk stored');
    const successes = count('job delivery ended', 'succeeded');
    expect(ids.filter((id) => chunkWrites.get(id) !== 1)).toEqual([]);
    expect(ids.filter((id) => successes.get(id) !== 1)).toEqual([]);
    expect(chunkWrites.size).toBe(JOBS);
    const statuses = await harness.readAll(harness.config.topics.status, (b) =>
      codecs.status.decode(b),
    );
    const succeededRecords = statuses.filter((s) => s.value.state === S.JOB_STATE_SUCCEEDED);
    expect(succeededRecords).toHaveLength(JOBS);
    expect(new Set(succeededRecords.map((s) => s.key)).size).toBe(JOBS);
    const perWorker = workers.map(
      (w) => w.logs('job delivery ended').filter((l) => l['outcome'] === 'succeeded').length,
    );
    expect(perWorker.every((n) => n > 0)).toBe(true);
    const frames = [...workers.flatMap((w) => w.logs('clip written'))].reduce(
      (n, l) => n + Number(l['frames']),
      0,
    );
    expect(frames).toBe(submitted.length * 1.5);
    console.log(
      `load: ${JOBS} jobs (1–2 frames, gif) in ${elapsed} ms = ${((JOBS * 60_000) / elapsed).toFixed(0)} jobs/min; ` +
        `per worker ${perWorker.join(' + ')}`,
    );
  });
});
