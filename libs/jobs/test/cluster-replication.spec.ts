import { ConfigError } from '@nextx/config';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJobsConfig } from '../src/config/jobs-config';
import { createKafka } from '../src/kafka/kafka-client';
import { createTopicsWithLeaders, ensureTopics } from '../src/topics/ensure-topics';
import type { UnderReplicatedTopic } from '../src/topics/topic-replication';
import { testEnv, withoutKafkaSecurity } from '../src/testing';

/** The local 3-node cluster tools/test.sh starts (tools/kafka/ensure-cluster.sh). */
function clusterBrokers(): string {
  const brokers = process.env['KAFKA_CLUSTER_BROKERS'];
  if (!brokers)
    throw new Error(
      'KAFKA_CLUSTER_BROKERS is not set: this spec needs the local 3-node Kafka cluster. Run it through ' +
        '`npm test` (tools/test.sh starts it), or start it with `bash tools/kafka/kafka.sh cluster up $$` and ' +
        'export KAFKA_CLUSTER_BROKERS=$(bash tools/kafka/kafka.sh cluster brokers).',
    );
  return brokers;
}

async function minInsync(admin: Admin, topic: string): Promise<string | undefined> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
  });
  return resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas')
    ?.configValue;
}

/**
 * Replicas per partition of `topics`. A topic created a moment ago may not have reached the
 * broker that answers yet (UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this
 * topic-partition"): that answer is retried for up to 15 s, like a client waiting for metadata.
 */
async function replicas(admin: Admin, topics: string[]): Promise<number[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      return metadata.topics.flatMap((t) => t.partitions.map((p) => p.replicas.length));
    } catch (error) {
      const unknown = (error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION';
      if (!unknown || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe('job topic replication on the 3-node cluster (real brokers)', () => {
  let env: NodeJS.ProcessEnv;
  let admin: Admin;
  const created: string[] = [];

  beforeAll(async () => {
    env = { ...withoutKafkaSecurity(testEnv('replication')), KAFKA_BROKERS: clusterBrokers() };
    admin = createKafka(loadJobsConfig(env)).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.deleteTopics({ topics: created }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('KAFKA_REPLICATION_FACTOR unset: 3 replicas and min.insync.replicas=2 on every job topic', async () => {
    const config = loadJobsConfig(env);
    const result = await ensureTopics(admin, config);
    created.push(...result.created);
    const { topics } = config;
    const all = [topics.jobs, topics.status, topics.commands, topics.deadLetter];
    expect(result.replication).toMatchObject({
      replicationFactor: 3,
      source: 'cluster',
      brokers: 3,
    });
    expect(result.created.sort()).toEqual([...all].sort());
    expect(new Set(await replicas(admin, all))).toEqual(new Set([3]));
    for (const topic of all) expect(await minInsync(admin, topic)).toBe('2');
  });

  it('a factor above the 3 brokers stops with a ConfigError, and nothing is created', async () => {
    const config = loadJobsConfig({
      ...env,
      KAFKA_REPLICATION_FACTOR: '4',
      JOBS_TOPIC: `${env['JOBS_TOPIC']}.four`,
    });
    const refused = ensureTopics(admin, config);
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(
      /KAFKA_REPLICATION_FACTOR=4 is larger than the 3 broker\(s\) of the Kafka cluster/,
    );
    expect(await admin.listTopics()).not.toContain(config.topics.jobs);
  });

  it('an existing topic with 1 replica is warned about by name; the others are created with 3', async () => {
    const prefix = `${env['JOBS_TOPIC']}.old`;
    const config = loadJobsConfig({
      ...env,
      JOBS_TOPIC: `${prefix}.jobs`,
      JOBS_STATUS_TOPIC: `${prefix}.status`,
      JOBS_COMMANDS_TOPIC: `${prefix}.commands`,
      JOBS_DLQ_TOPIC: `${prefix}.dlq`,
    });
    await createTopicsWithLeaders(admin, [
      { topic: config.topics.jobs, numPartitions: 2, replicationFactor: 1 },
    ]);
    created.push(config.topics.jobs);
    const warnings: { fields: UnderReplicatedTopic; message: string }[] = [];
    const result = await ensureTopics(admin, config, {
      warn: (fields, message) => warnings.push({ fields, message }),
    });
    created.push(...result.created);
    expect(warnings.map((w) => w.fields)).toEqual([
      { topic: config.topics.jobs, replicationFactor: 1, wanted: 3 },
    ]);
    expect(warnings[0]?.message).toContain(`Kafka topic ${config.topics.jobs} has 1 replica(s)`);
    expect(result.created).not.toContain(config.topics.jobs);
    expect(new Set(await replicas(admin, [config.topics.status]))).toEqual(new Set([3]));
  });
});

describe('job topic replication on the single broker (real broker)', () => {
  it('unset: 1 replica, no min.insync.replicas of its own; 2 configured: a ConfigError naming 1 broker', async () => {
    const env = testEnv('replication-single');
    const config = loadJobsConfig(env);
    const admin = createKafka(config).admin();
    await admin.connect();
    try {
      const result = await ensureTopics(admin, config);
      expect(result.replication).toMatchObject({ replicationFactor: 1, brokers: 1 });
      expect(new Set(await replicas(admin, [config.topics.jobs]))).toEqual(new Set([1]));
      await expect(
        ensureTopics(admin, loadJobsConfig({ ...env, KAFKA_REPLICATION_FACTOR: '2' })),
      ).rejects.toThrow(/KAFKA_REPLICATION_FACTOR=2 is larger than the 1 broker\(s\)/);
      await admin.deleteTopics({ topics: result.created }).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  });
});
