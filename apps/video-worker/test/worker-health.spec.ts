import { freePort } from '@nextx/grpc/testing';
import { testEnv, until } from '@nextx/jobs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsHarness, S, WorkerProcess, requireVideoModel, videoSpec } from './support';

describe('video worker: /healthz and consumer lag on its metrics port (real broker, real model)', () => {
  let harness: JobsHarness;
  let worker: WorkerProcess;
  let port: number;
  const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
  const lag = async () => {
    const body = await (await get('/metrics')).text();
    const line = body.split('\n').find((l) => l.startsWith('nextx_video_worker_consumer_lag{'));
    return Number(line?.split(' ').pop());
  };

  beforeAll(async () => {
    requireVideoModel();
    harness = await JobsHarness.open(testEnv('video-health'));
    port = await freePort();
    worker = await WorkerProcess.start({ ...harness.env, METRICS_PORT: String(port) });
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await harness?.close();
  });

  it('answers /healthz with SERVING once it has joined its group', async () => {
    await until('worker joined', async () => (await get('/healthz')).status === 200, 30_000);
    expect(await (await get('/healthz')).json()).toEqual({ status: 'SERVING' });
  });

  it('counts a running (uncommitted) job as lag, and none once it has finished', async () => {
    expect(await lag()).toBe(0);
    const { job } = await harness.submit('lag-1', videoSpec({ frames: 24 }, { chunkFrames: 4 }));
    await harness.waitFor(job.jobId, S.JOB_STATE_RUNNING);
    expect(await lag()).toBe(1);
    await harness.waitFor(job.jobId, S.JOB_STATE_SUCCEEDED);
    // The offset is committed right after the final status.
    await until('offset committed', async () => (await lag()) === 0, 10_000);
  });
});
