import { rmSync } from 'node:fs';
import { codecs, IdempotencyConflictError } from '@nextx/jobs';
import { testEnv, until } from '@nextx/jobs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JobsHarness,
  MODEL,
  S,
  WorkerProcess,
  chunkWrites,
  modelsWithBrokenCopy,
  requireVideoModel,
  videoSpec,
} from './support';
import { videoJobSpecOf } from '../src/video-job-spec';

const BROKEN = 'nbp-broken';
const MAX_ATTEMPTS = 3;

describe('video worker: idempotency, cancel, invalid specs, poison jobs, long chunks (real broker, real model)', () => {
  let harness: JobsHarness;
  let worker: WorkerProcess;
  let modelsDir: string | undefined;
  /** How the worker's deliveries of `jobId` ended, once it has logged one (it logs after the final status). */
  const deliveries = async (jobId: string) => {
    const outcomes = () =>
      worker
        .logs('job delivery ended')
        .filter((l) => l['jobId'] === jobId)
        .map((l) => l['outcome']);
    await until(`delivery of ${jobId} logged`, () => outcomes().length > 0, 10_000);
    return outcomes();
  };

  beforeAll(async () => {
    requireVideoModel();
    modelsDir = modelsWithBrokenCopy(BROKEN);
    harness = await JobsHarness.open({
      ...testEnv('video-control'),
      // The reference model and a copy of it with a truncated step graph (the poison job's model).
      MODELS_DIR: modelsDir,
      JOBS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    });
    worker = await WorkerProcess.start(harness.env);
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await harness?.close();
    if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
  });

  it('the same idempotency key twice (and concurrently) makes one job, run once', async () => {
    const spec = videoSpec({ frames: 8 }, { chunkFrames: 4 });
    const first = await harness.submit('same-key', spec);
    const again = await harness.submit('same-key', spec);
    await expect(harness.submit('same-key', videoSpec({ frames: 99 }))).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
    const [c1, c2] = await Promise.all([
      harness.submit('same-key-concurrent', spec),
      harness.submit('same-key-concurrent', spec),
    ]);
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, job: { jobId: first.job.jobId } });
    expect([c1.created, c2.created].sort()).toEqual([false, true]);
    expect(c1.job.jobId).toBe(c2.job.jobId);
    for (const jobId of [first.job.jobId, c1.job.jobId]) {
      await harness.waitFor(jobId, S.JOB_STATE_SUCCEEDED);
      expect(await deliveries(jobId)).toEqual(['succeeded']);
      expect(chunkWrites([worker], jobId)).toEqual([0, 1]);
    }
    const specs = await harness.readAll(harness.config.topics.jobs, (b) => codecs.spec.decode(b));
    expect(specs.map((s) => s.value.idempotencyKey).sort()).toEqual([
      'same-key',
      'same-key-concurrent',
    ]);
    const stored = specs.find((s) => s.key === first.job.jobId)!.value;
    expect(videoJobSpecOf(stored).clip!.frames).toBe(8);
  });

  it('cancel ends a running job CANCELLED within one chunk', async () => {
    const { job } = await harness.submit(
      'cancel-me',
      videoSpec({ frames: 800 }, { chunkFrames: 8 }),
    );
    await until(
      'two checkpoints',
      () => (harness.store.get(job.jobId)?.lastCheckpoint?.chunkIndex ?? -1) >= 1,
      60_000,
    );
    const before = await harness.submitter.cancel(job.jobId, 'user pressed stop');
    const cancelledAt = Date.now();
    expect(before?.state).toBe(S.JOB_STATE_RUNNING);
    const done = await harness.waitFor(job.jobId, S.JOB_STATE_CANCELLED, 30_000);
    const writes = worker.logs('chunk stored').filter((l) => l['jobId'] === job.jobId);
    const afterCancel = writes.filter((l) => l.time > cancelledAt);
    expect(afterCancel.length).toBeLessThanOrEqual(1);
    expect(done).toMatchObject({ error: 'user pressed stop', attempts: 0, outputUri: '' });
    expect(await deliveries(job.jobId)).toEqual(['cancelled']);
    expect(await harness.chunks.getOutput(job.jobId, 'clip.gif')).toBeUndefined();
    console.log(
      `cancel: ${writes.length} of 100 chunks stored, ${afterCancel.length} after the request, ` +
        `CANCELLED ${done.finishedAtMs - cancelledAt} ms after it`,
    );
  });

  it('an invalid spec fails at once, without retries, naming the field', async () => {
    const cases = [
      {
        key: 'bad-digit',
        spec: videoSpec({ digits: [12] }),
        error: /^video\.clip\.digits\[0\]: got 12/,
      },
      {
        key: 'three-digits',
        spec: videoSpec({ digits: [1, 2, 3] }),
        error: /^video\.clip\.digits: got 3/,
      },
      { key: 'no-frames', spec: videoSpec({ frames: 0 }), error: /^video\.clip\.frames: got 0/ },
      {
        key: 'no-model',
        spec: videoSpec({ model: { name: 'nbp-missing', version: '' } }),
        error: /^video\.clip\.model: model "nbp-missing" not found/,
      },
      {
        key: 'bad-format',
        spec: videoSpec({}, { outputFormat: 'webm' }),
        error: /^video\.output_format: got "webm"/,
      },
    ];
    const submitted = await Promise.all(cases.map((c) => harness.submit(c.key, c.spec)));
    for (const [i, { job }] of submitted.entries()) {
      const done = await harness.waitFor(job.jobId, S.JOB_STATE_FAILED, 30_000);
      expect(done.error).toMatch(cases[i].error);
      expect(done.attempts).toBe(0);
      expect(await deliveries(job.jobId)).toEqual(['failed']);
    }
  });

  it(`a poison job (its model's step graph is truncated) is dead-lettered after ${MAX_ATTEMPTS} attempts; other jobs are unaffected`, async () => {
    const poison = await harness.submit(
      'poison',
      videoSpec({ model: { name: BROKEN, version: '' } }),
    );
    const healthy = await Promise.all(
      ['healthy-1', 'healthy-2'].map((key, i) =>
        harness.submit(key, videoSpec({ frames: 4, seed: 100 + i })),
      ),
    );
    const dead = await harness.waitFor(poison.job.jobId, S.JOB_STATE_DEAD_LETTERED);
    for (const { job } of healthy) {
      const done = await harness.waitFor(job.jobId, S.JOB_STATE_SUCCEEDED);
      expect(done.attempts).toBe(0);
      expect(await deliveries(job.jobId)).toEqual(['succeeded']);
    }
    expect(dead.attempts).toBe(MAX_ATTEMPTS);
    const failedAttempts = worker
      .logs('job attempt failed')
      .filter((l) => l['jobId'] === poison.job.jobId);
    expect(failedAttempts).toHaveLength(MAX_ATTEMPTS);
    const letters = await harness.readAll(harness.config.topics.deadLetter, (b) =>
      codecs.deadLetter.decode(b),
    );
    expect(letters.map((l) => l.key)).toEqual([poison.job.jobId]);
    const letter = letters[0].value;
    expect(letter).toMatchObject({
      attempts: MAX_ATTEMPTS,
      workerId: worker.workerId,
      spec: { idempotencyKey: 'poison' },
    });
    expect(videoJobSpecOf(letter.spec!)).toMatchObject({ clip: { model: { name: BROKEN } } });
    expect(letter.error).toContain('step.onnx');
    expect(letter.error).toBe(dead.error);
    console.log(
      `poison: dead-lettered after ${MAX_ATTEMPTS} attempts with "${letter.error.slice(0, 160)}"`,
    );
  });

  it('a chunk that runs longer than the session timeout keeps its worker: heartbeats go on', async () => {
    // Frame time measured on the chunks above (after the first, whose frame 0 is token by token).
    const measured = worker
      .logs('chunk stored')
      .filter((l) => Number(l['chunk']) > 0 && Number(l['frames']) > 1);
    const msPerFrame =
      measured.reduce((sum, l) => sum + Number(l['ms']), 0) /
      measured.reduce((sum, l) => sum + Number(l['frames']), 0);
    const sessionMs = harness.config.sessionTimeoutMs;
    // 4x the session timeout by that estimate: the frames measured above may have run under
    // more load than this chunk does (seen in CI: a 2x estimate gave a 5.5 s chunk for 6 s).
    const frames = Math.min(4000, Math.ceil((4 * sessionMs) / msPerFrame));
    const { job } = await harness.submit(
      'one-long-chunk',
      videoSpec(
        { frames, model: { name: MODEL, version: '' } },
        { chunkFrames: frames, outputFormat: 'mp4' },
      ),
    );
    const done = await harness.waitFor(job.jobId, S.JOB_STATE_SUCCEEDED, 120_000);
    const [chunk] = worker.logs('chunk stored').filter((l) => l['jobId'] === job.jobId);
    expect(Number(chunk['ms'])).toBeGreaterThan(sessionMs);
    expect(done).toMatchObject({ attempts: 0, workerId: worker.workerId });
    expect(await deliveries(job.jobId)).toEqual(['succeeded']);
    console.log(
      `long chunk: ${frames} frames in one chunk took ${chunk['ms']} ms (session timeout ${sessionMs} ms, ` +
        `${msPerFrame.toFixed(1)} ms/frame measured); same worker throughout`,
    );
  });
});
