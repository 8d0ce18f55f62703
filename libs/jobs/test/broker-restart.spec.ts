import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { jobs } from '@nextx/proto';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FsChunkStore,
  JobStateStore,
  JobSubmitter,
  JobWorker,
  createIdempotentProducer,
  createKafka,
  ensureTopics,
  loadJobsConfig,
  type JobOutcome,
} from '../src';
import { testEnv, until, withoutKafkaSecurity } from './support';

const kafkaSh = fileURLToPath(new URL('../../../tools/kafka/kafka.sh', import.meta.url));
// A broker of its own (own port and data), so restarting it disturbs no other test.
const port = 19_092 + (process.pid % 500) * 2;
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

describe('Kafka job pipeline across a broker restart', () => {
  beforeAll(() => {
    testEnv('guard'); // fails with the KAFKA_BROKERS message when run outside tools/test.sh
    kafkaCmd('up', String(process.pid));
  }, 120_000);
  afterAll(() => {
    kafkaCmd('down', String(process.pid));
    rmSync(brokerEnv.KAFKA_DATA_DIR, { recursive: true, force: true });
  }, 60_000);

  it('a job running while the broker restarts still completes, once, with every chunk', async () => {
    const env = {
      ...withoutKafkaSecurity(testEnv('restart')),
      KAFKA_BROKERS: `127.0.0.1:${port}`,
    };
    const config = loadJobsConfig(env);
    const kafka = createKafka(config);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, config);
    await admin.disconnect();
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const store = new JobStateStore(kafka, config);
    await store.start();
    const submitter = new JobSubmitter({ producer, store, config });
    const chunks = new FsChunkStore(config.chunkDir);
    const outcomes: JobOutcome[] = [];
    const generated: number[] = [];
    const worker = new JobWorker({ kafka, config, chunks });
    worker.on('job', (o) => outcomes.push(o));
    await worker.run(async (job) => {
      for (let i = job.nextChunk; i < 12; i++) {
        await sleep(400, undefined, { signal: job.signal });
        generated.push(i);
        await job.checkpoint(i, Buffer.from(`chunk ${i}`));
      }
    });
    try {
      const { job } = await submitter.submit({ idempotencyKey: 'through-restart', kind: 'video' });
      await until('two chunks', () => generated.length >= 2);
      const t0 = Date.now();
      kafkaCmd('stop');
      kafkaCmd('up', String(process.pid));
      const restartMs = Date.now() - t0;
      await until(
        'job succeeded',
        () => store.get(job.jobId)?.state === jobs.JobState.JOB_STATE_SUCCEEDED,
        90_000,
      );
      await until(
        'delivery committed',
        () => outcomes.some((o) => o.jobId === job.jobId && o.outcome === 'succeeded'),
        60_000,
      );
      expect(await chunks.list(job.jobId)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(
        outcomes.filter((o) => o.jobId === job.jobId && o.outcome === 'succeeded'),
      ).toHaveLength(1);
      console.log(
        `broker restart: down+up ${restartMs} ms; chunks generated ${generated.join(',')}; outcomes ${outcomes.map((o) => o.outcome).join(',')}`,
      );
    } finally {
      await worker.stop();
      await store.stop();
      await producer.disconnect();
    }
  });

  it('two broker outages during checkpoint publishes in one job: not failed attempts, the job succeeds', async () => {
    const env = {
      ...withoutKafkaSecurity(testEnv('outages')),
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      JOBS_MAX_ATTEMPTS: '2',
    };
    const config = loadJobsConfig(env);
    const kafka = createKafka(config);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, config);
    await admin.disconnect();
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const store = new JobStateStore(kafka, config);
    await store.start();
    const submitter = new JobSubmitter({ producer, store, config });
    const chunks = new FsChunkStore(config.chunkDir);
    // The worker's client gives up on a send within about a second, so each outage below
    // certainly fails a checkpoint publish (the default client would retry through it).
    const impatient = createKafka(config, {
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 100, retries: 2 },
    });
    const outcomes: JobOutcome[] = [];
    const generated: number[] = [];
    const worker = new JobWorker({ kafka: impatient, config, chunks });
    worker.on('job', (o) => outcomes.push(o));
    await worker.run(async (job) => {
      for (let i = job.nextChunk; i < 16; i++) {
        await sleep(250, undefined, { signal: job.signal });
        generated.push(i);
        await job.checkpoint(i, Buffer.from(`chunk ${i}`));
      }
    });
    try {
      const { job } = await submitter.submit({ idempotencyKey: 'two-outages', kind: 'video' });
      for (const after of [2, 7]) {
        await until(`${after} chunks`, () => generated.length >= after, 60_000);
        kafkaCmd('stop');
        await sleep(3_000);
        kafkaCmd('up', String(process.pid));
      }
      await until(
        'job succeeded',
        () => store.get(job.jobId)?.state === jobs.JobState.JOB_STATE_SUCCEEDED,
        120_000,
      );
      expect(store.get(job.jobId)!.attempts).toBe(0);
      expect(await chunks.list(job.jobId)).toEqual(Array.from({ length: 16 }, (_, i) => i));
      console.log(
        `two outages: chunks generated ${generated.join(',')}; outcomes ${outcomes.map((o) => o.outcome).join(',')}`,
      );
    } finally {
      await worker.stop();
      await store.stop();
      await producer.disconnect();
    }
  }, 240_000);
});
