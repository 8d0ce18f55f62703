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
  jobParamsCodec,
  loadJobsConfig,
  type JobsConfig,
} from '../src';
import {
  deleteTestTopics,
  saslSslListener,
  saslSslTestEnv,
  until,
  type SaslSslListener,
} from './support';

/** Connects an admin client with one attempt and asks for the cluster; the error when that fails. */
async function describeCluster(config: JobsConfig) {
  const kafka = createKafka(config, {
    logLevel: logLevel.NOTHING,
    retry: { retries: 0, initialRetryTime: 100 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return { cluster: await admin.describeCluster(), error: undefined };
  } catch (error) {
    return { cluster: undefined, error: error as Error };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

describe('Kafka over the SASL_SSL listener (TLS + SASL from libs/jobs config)', () => {
  let listener: SaslSslListener;

  beforeAll(() => {
    listener = saslSslListener();
  });

  it.each([
    ['plain', {}],
    ['scram-sha-256', {}],
    // With a client certificate too: the listener checks one when it is presented.
    ['scram-sha-512', { KAFKA_SSL_CERT: 'client.crt', KAFKA_SSL_KEY: 'client.key' }],
  ] as const)('%s authenticates', async (mechanism, files) => {
    const env = saslSslTestEnv(`sasl-${mechanism}`, {
      KAFKA_SASL_MECHANISM: mechanism,
      ...Object.fromEntries(Object.entries(files).map(([k, f]) => [k, listener.file(f)])),
    });
    const config = loadJobsConfig(env);
    expect(config.security.ssl?.ca).toBeDefined();
    const { cluster, error } = await describeCluster(config);
    expect(error).toBeUndefined();
    expect(cluster?.brokers.length).toBe(1);
  });

  it('a wrong password is an authentication error, for PLAIN and SCRAM alike', async () => {
    for (const [mechanism, label] of [
      ['plain', 'SASL PLAIN'],
      ['scram-sha-256', 'SASL SCRAM SHA256'],
    ] as const) {
      const env = saslSslTestEnv('sasl-wrong', {
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_PASSWORD_FILE: undefined,
        KAFKA_SASL_PASSWORD: 'not-the-password',
      });
      const { error } = await describeCluster(loadJobsConfig(env));
      expect(error?.name).toBe('KafkaJSSASLAuthenticationError');
      expect(error?.message).toMatch(new RegExp(`^${label} authentication failed`));
    }
  });

  it('a client without TLS gets no further than the connection (no SASL exchange at all)', async () => {
    const env = saslSslTestEnv('sasl-no-tls', {
      KAFKA_SSL_CA: undefined,
      KAFKA_SASL_MECHANISM: 'plain',
    });
    const config = loadJobsConfig(env);
    expect(config.security.ssl).toBeUndefined();
    const { error } = await describeCluster(config);
    expect(error?.name).not.toBe('KafkaJSSASLAuthenticationError');
    expect(error?.message).toMatch(/Closed connection|Connection (error|timeout)/);
  });

  it('a client that does not trust the listener CA refuses it at the handshake', async () => {
    const env = saslSslTestEnv('sasl-no-ca', {
      KAFKA_SSL_CA: undefined,
      KAFKA_SSL: 'on',
      KAFKA_SASL_MECHANISM: 'plain',
    });
    const { error } = await describeCluster(loadJobsConfig(env));
    expect(error?.message).toMatch(/self-signed certificate in certificate chain/);
  });

  describe('a job round trip over SASL_SSL (SCRAM-SHA-256)', () => {
    let env: NodeJS.ProcessEnv;
    afterAll(async () => {
      if (env) await deleteTestTopics(env);
    });

    it('submit → the worker consumes it, checkpoints and succeeds; the status comes back', async () => {
      env = saslSslTestEnv('sasl-job', { KAFKA_SASL_MECHANISM: 'scram-sha-256' });
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
      const worker = new JobWorker({ kafka, config, chunks });
      const frames = jobParamsCodec<{ value: number }>(
        'google/protobuf/wrappers.proto',
        'google.protobuf.UInt32Value',
      );
      const seen: number[] = [];
      await worker.run(async (job) => {
        const { value } = frames.unpack(job.spec.params);
        seen.push(value);
        for (let i = job.nextChunk; i < 3; i++) await job.checkpoint(i, Buffer.from(`chunk ${i}`));
      });
      try {
        const { job } = await submitter.submit({
          idempotencyKey: 'over-sasl-ssl',
          kind: 'video',
          params: frames.pack({ value: 12 }),
        });
        await until(
          'job succeeded',
          () => store.get(job.jobId)?.state === jobs.JobState.JOB_STATE_SUCCEEDED,
        );
        expect(seen).toEqual([12]);
        expect(await chunks.list(job.jobId)).toEqual([0, 1, 2]);
      } finally {
        await worker.stop();
        await store.stop();
        await producer.disconnect();
      }
    });
  });
});
