import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from '@nextx/grpc/testing';
import { testEnv, until, withoutKafkaSecurity } from '@nextx/jobs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JobsHarness,
  S,
  WorkerProcess,
  chunkWrites,
  requireVideoModel,
  videoSpec,
} from './support';

const kafkaSh = join(workspaceRoot(), 'tools/kafka/kafka.sh');
// A broker of its own (own port and data), so restarting it disturbs no other test.
const port = 21_092 + (process.pid % 500) * 2;
// Plaintext only: no SASL_SSL listener (its port would clash with the shared broker's), and the
// clients below drop the shared broker's TLS/SASL settings.
const brokerEnv = {
  ...withoutKafkaSecurity(process.env),
  KAFKA_SASL_SSL_PORT: '',
  KAFKA_PORT: String(port),
  KAFKA_DATA_DIR: mkdtempSync(join(tmpdir(), 'nextx-kafka-')),
};
const kafkaCmd = (...args: string[]) =>
  execFileSync('bash', [kafkaSh, ...args], {
    env: brokerEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });

const CHUNKS = 40;

describe('video worker across a broker restart (real broker, real model)', () => {
  let harness: JobsHarness | undefined;
  let worker: WorkerProcess | undefined;

  beforeAll(() => {
    requireVideoModel();
    testEnv('guard'); // fails with the KAFKA_BROKERS message when run outside tools/test.sh
    kafkaCmd('up', String(process.pid));
  }, 120_000);
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await harness?.close().catch(() => undefined);
    kafkaCmd('down', String(process.pid));
    rmSync(brokerEnv.KAFKA_DATA_DIR, { recursive: true, force: true });
  }, 60_000);

  it('a job running while the broker restarts completes, once, with every chunk', async () => {
    harness = await JobsHarness.open({
      ...withoutKafkaSecurity(testEnv('video-restart')),
      KAFKA_BROKERS: `127.0.0.1:${port}`,
    });
    worker = await WorkerProcess.start(harness.env);
    const { job } = await harness.submit(
      'through-restart',
      videoSpec({ frames: CHUNKS * 4, seed: 5 }, { chunkFrames: 4 }),
    );
    await until(
      'two checkpoints',
      () => (harness!.store.get(job.jobId)?.lastCheckpoint?.chunkIndex ?? -1) >= 1,
      60_000,
    );
    const checkpointAtStop = harness.store.get(job.jobId)?.lastCheckpoint?.chunkIndex;
    const t0 = Date.now();
    kafkaCmd('stop');
    kafkaCmd('up', String(process.pid));
    const restartMs = Date.now() - t0;
    const done = await harness.waitFor(job.jobId, S.JOB_STATE_SUCCEEDED, 120_000);
    // The job was still running when the broker went down, and the same worker process finished it.
    expect(done.finishedAtMs).toBeGreaterThan(t0);
    expect(worker.running).toBe(true);
    expect(await harness.chunks.list(job.jobId)).toEqual(
      Array.from({ length: CHUNKS }, (_, i) => i),
    );
    expect(await harness.statusRecords(job.jobId, S.JOB_STATE_SUCCEEDED)).toBe(1);
    const writes = chunkWrites([worker], job.jobId);
    const outcomesOf = () =>
      worker!
        .logs('job delivery ended')
        .filter((l) => l['jobId'] === job.jobId)
        .map((l) => l['outcome']);
    // The worker logs the delivery after the final status is written.
    await until('delivery logged', () => outcomesOf().includes('succeeded'), 10_000);
    const outcomes = outcomesOf();
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
    expect(done.outputUri).toMatch(/clip\.gif$/);
    console.log(
      `broker restart: down+up ${restartMs} ms (last checkpoint chunk ${checkpointAtStop} when it went down); ` +
        `chunk writes ${writes.join(',')}; deliveries ${outcomes.join(',')}; attempts ${done.attempts}`,
    );
  });
});
