import { saslSslTestEnv } from '@nextx/jobs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsHarness, S, WorkerProcess, requireVideoModel, videoSpec } from './support';

describe('video worker over the SASL_SSL listener (SCRAM-SHA-512, real broker, real model)', () => {
  let harness: JobsHarness | undefined;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    requireVideoModel();
    // The worker process reads the same KAFKA_SSL_CA / KAFKA_SASL_* variables as in production.
    harness = await JobsHarness.open(
      saslSslTestEnv('video-sasl', { KAFKA_SASL_MECHANISM: 'scram-sha-512' }),
    );
    worker = await WorkerProcess.start(harness.env);
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await harness?.close();
  });

  it('with a wrong password the worker stops at start, saying the broker refused it', async () => {
    const start = WorkerProcess.start({
      ...harness!.env,
      KAFKA_SASL_PASSWORD_FILE: undefined,
      KAFKA_SASL_PASSWORD: 'not-the-password',
    });
    await expect(start).rejects.toThrow(
      /worker exited with 1:[\s\S]*video-worker failed to start: KafkaJSSASLAuthenticationError: SASL SCRAM SHA512 authentication failed/,
    );
  });

  it('a submitted job is consumed by the worker process and succeeds with its clip', async () => {
    const { job } = await harness!.submit(
      'over-sasl-ssl',
      videoSpec({ frames: 8 }, { chunkFrames: 4 }),
    );
    const done = await harness!.waitFor(job.jobId, S.JOB_STATE_SUCCEEDED);
    expect([done.chunksDone, done.chunksTotal]).toEqual([2, 2]);
    expect(done.workerId).toBe(worker!.workerId);
    expect(await harness!.chunks.list(job.jobId)).toEqual([0, 1]);
  });
});
