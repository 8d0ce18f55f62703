import { testEnv, until } from '@nextx/jobs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JobsHarness,
  S,
  WorkerProcess,
  chunkWrites,
  countFrames,
  requireVideoModel,
  videoSpec,
} from './support';

// Long enough that the kill lands mid-job with chunks still to go on a busy two-core machine.
const FRAMES = 80;
const CHUNK_FRAMES = 4;
const CHUNKS = FRAMES / CHUNK_FRAMES;

describe('video worker processes: SIGKILL and SIGTERM mid-job (real broker, real model)', () => {
  let harness: JobsHarness;
  const workers: WorkerProcess[] = [];
  const start = async () => {
    const worker = await WorkerProcess.start(harness.env);
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    requireVideoModel();
    harness = await JobsHarness.open(testEnv('video-crash'));
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await harness?.close();
  });

  it('a worker killed mid-job: another resumes from the last checkpoint; the clip equals an uninterrupted run', async () => {
    const spec = videoSpec(
      { frames: FRAMES, seed: 2024 },
      { chunkFrames: CHUNK_FRAMES, outputFormat: 'mp4' },
    );
    const first = await start();
    const { job } = await harness.submit('crash-me', spec);
    await until(
      'two checkpoints',
      () => (harness.store.get(job.jobId)?.lastCheckpoint?.chunkIndex ?? -1) >= 1,
      60_000,
    );
    first.kill('SIGKILL');
    const killedAt = Date.now();
    await first.exited;
    const atKill = chunkWrites([first], job.jobId);
    expect(atKill.length).toBeLessThan(CHUNKS);

    const second = await start();
    const done = await harness.waitFor(job.jobId, S.JOB_STATE_SUCCEEDED);
    const byFirst = chunkWrites([first], job.jobId);
    const bySecond = chunkWrites([second], job.jobId);
    // The second worker starts after the last chunk the first one stored (one more when the kill
    // fell between storing a chunk and logging it) and goes to the end; no chunk is made twice.
    expect(bySecond[0]).toBeGreaterThan(byFirst.at(-1)!);
    expect(bySecond[0]).toBeLessThanOrEqual(byFirst.at(-1)! + 2);
    expect(new Set([...byFirst, ...bySecond]).size).toBe(byFirst.length + bySecond.length);
    expect(bySecond).toEqual(
      Array.from({ length: CHUNKS - bySecond[0] }, (_, i) => bySecond[0] + i),
    );
    expect(second.logs('video job resumed').some((l) => l['jobId'] === job.jobId)).toBe(true);
    expect(done).toMatchObject({ attempts: 1, workerId: second.workerId, chunksDone: CHUNKS });
    expect(await harness.statusRecords(job.jobId, S.JOB_STATE_SUCCEEDED)).toBe(1);
    const chunks = await harness.storedChunks(job.jobId);
    expect(chunks.map((c) => c.chunk)).toEqual(Array.from({ length: CHUNKS }, (_, i) => i));
    expect(chunks.map((c) => c.firstFrame)).toEqual(chunks.map((_, i) => i * CHUNK_FRAMES));
    expect(countFrames(done.outputUri)).toBe(FRAMES);

    // The same spec, uninterrupted, on one worker: every chunk's codes are the same.
    const { job: reference } = await harness.submit('uninterrupted', spec);
    const referenceDone = await harness.waitFor(reference.jobId, S.JOB_STATE_SUCCEEDED);
    expect(referenceDone.attempts).toBe(0);
    const expected = await harness.storedChunks(reference.jobId);
    expect(chunks.map((c) => c.seed)).toEqual(expected.map((c) => c.seed));
    for (let k = 0; k < CHUNKS; k++)
      expect(chunks[k].codes, `chunk ${k}`).toEqual(expected[k].codes);
    expect(countFrames(referenceDone.outputUri)).toBe(FRAMES);
    // The resumed render decodes the first worker's chunks from their stored codes; the
    // uninterrupted one reuses the frames decoded while generating.
    const render = (jobId: string) =>
      Number(second.logs('clip written').find((l) => l['jobId'] === jobId)?.['decodedFrames']);
    expect(render(job.jobId)).toBeGreaterThan(0);
    expect(render(job.jobId)).toBeLessThanOrEqual(bySecond[0] * CHUNK_FRAMES);
    expect(render(reference.jobId)).toBe(0);
    console.log(
      `crash: first worker stored chunks ${byFirst.join(',')}; second resumed at ${bySecond[0]}; ` +
        `done ${done.finishedAtMs - killedAt} ms after SIGKILL; uninterrupted run identical (${CHUNKS} chunks)`,
    );
  });

  it('SIGTERM mid-job: the worker hands the job back and exits 0; the next worker continues it', async () => {
    const holder = workers.find((w) => w.running)!;
    const spec = videoSpec({ frames: FRAMES, seed: 77 }, { chunkFrames: CHUNK_FRAMES });
    const { job } = await harness.submit('hand-back', spec);
    await until(
      'one checkpoint',
      () => harness.store.get(job.jobId)?.lastCheckpoint !== undefined,
      60_000,
    );
    const termAt = Date.now();
    holder.kill('SIGTERM');
    expect(await holder.exited).toBe(0);
    const exitMs = Date.now() - termAt;
    expect(
      holder
        .logs('job delivery ended')
        .filter((l) => l['jobId'] === job.jobId)
        .map((l) => l['outcome']),
    ).toEqual(['handed-back']);
    await until(
      'job back in the queue',
      () => harness.store.get(job.jobId)?.state === S.JOB_STATE_QUEUED,
    );

    const next = await start();
    const done = await harness.waitFor(job.jobId, S.JOB_STATE_SUCCEEDED);
    const before = chunkWrites([holder], job.jobId);
    const after = chunkWrites([next], job.jobId);
    expect(after[0]).toBeGreaterThan(before.at(-1)!);
    expect(new Set([...before, ...after]).size).toBe(before.length + after.length);
    expect(await harness.chunks.list(job.jobId)).toEqual(
      Array.from({ length: CHUNKS }, (_, i) => i),
    );
    // A hand-back is not a failure.
    expect(done.attempts).toBe(0);
    console.log(
      `sigterm: exited in ${exitMs} ms after chunks ${before.join(',')}; next worker did ${after.join(',')}`,
    );
  });
});
