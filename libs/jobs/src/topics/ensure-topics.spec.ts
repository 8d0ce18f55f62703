import { ConfigError } from '@nextx/config';
import { describe, expect, it } from 'vitest';
import { loadJobsConfig } from '../config/jobs-config';
import { ensureTopics, jobTopicConfigs } from './ensure-topics';

interface FakeTopic {
  topic: string;
  replicationFactor?: number;
  configEntries?: { name: string; value: string }[];
}

/**
 * An admin of a cluster of `brokers` brokers holding `existing` topics (name → replicas); its
 * first createTopics fails with `failure` when given, the way a KRaft broker answers while
 * metadata propagates.
 */
function admin(
  options: { failure?: { type: string }; brokers?: number; existing?: Record<string, number> } = {},
) {
  const { failure, brokers = 1, existing = {} } = options;
  const created: FakeTopic[] = [];
  let calls = 0;
  const names = () => [...Object.keys(existing), ...created.map((t) => t.topic)];
  return {
    calls: () => calls,
    created,
    listTopics: () => Promise.resolve(failure && calls === 1 ? Object.keys(existing) : names()),
    describeCluster: () =>
      Promise.resolve({
        clusterId: 'fake',
        controller: 1,
        brokers: Array.from({ length: brokers }, (_, i) => ({ nodeId: i + 1, host: 'h', port: 1 })),
      }),
    fetchTopicMetadata: ({ topics }: { topics: string[] }) =>
      Promise.resolve({
        topics: topics.map((name) => ({
          name,
          partitions: [0, 1].map((partitionId) => ({
            partitionErrorCode: 0,
            partitionId,
            leader: 1,
            replicas: Array.from({ length: existing[name] ?? 1 }, (_, i) => i + 1),
            isr: [1],
          })),
        })),
      }),
    createTopics: ({ topics }: { topics: FakeTopic[] }) => {
      calls++;
      if (failure && calls === 1)
        return Promise.reject(Object.assign(new Error(failure.type), failure));
      created.push(...topics);
      return Promise.resolve(true);
    },
  };
}

const insync = (t: FakeTopic) =>
  t.configEntries?.find((e) => e.name === 'min.insync.replicas')?.value;

describe('ensureTopics', () => {
  const config = loadJobsConfig({ KAFKA_BROKERS: '127.0.0.1:9092' });

  it('tries again when the broker does not host a just-created topic yet', async () => {
    const a = admin({ failure: { type: 'UNKNOWN_TOPIC_OR_PARTITION' } });
    const { created } = await ensureTopics(a, config);
    expect(created.length).toBeGreaterThan(0);
    expect(a.calls()).toBe(2);
  });

  it('gives up at once on any other error', async () => {
    await expect(
      ensureTopics(admin({ failure: { type: 'INVALID_REPLICATION_FACTOR' } }), config),
    ).rejects.toThrow('INVALID_REPLICATION_FACTOR');
  });

  it('unset KAFKA_REPLICATION_FACTOR: min(3, brokers) replicas, min.insync.replicas=2 from 3', async () => {
    for (const [brokers, factor, minIsr] of [
      [1, 1, undefined],
      [2, 2, undefined],
      [3, 3, '2'],
      [5, 3, '2'],
    ] as const) {
      const a = admin({ brokers });
      const { replication, created } = await ensureTopics(a, config);
      expect(replication).toMatchObject({ replicationFactor: factor, source: 'cluster', brokers });
      expect(created).toHaveLength(4);
      expect(a.created.map((t) => t.replicationFactor)).toEqual([factor, factor, factor, factor]);
      expect(a.created.map(insync)).toEqual([minIsr, minIsr, minIsr, minIsr]);
    }
  });

  it('a configured factor larger than the cluster stops with a ConfigError naming both', async () => {
    const three = loadJobsConfig({
      KAFKA_BROKERS: '127.0.0.1:9092',
      KAFKA_REPLICATION_FACTOR: '3',
    });
    const a = admin({ brokers: 1 });
    const refused = ensureTopics(a, three);
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(
      /KAFKA_REPLICATION_FACTOR=3 is larger than the 1 broker\(s\) of the Kafka cluster \(KAFKA_BROKERS=127\.0\.0\.1:9092\)/,
    );
    expect(a.created).toEqual([]);
  });

  it('warns about an existing topic with fewer replicas than wanted, naming it', async () => {
    const warnings: { topic: string; message: string }[] = [];
    const a = admin({
      brokers: 3,
      existing: { [config.topics.jobs]: 1, [config.topics.status]: 3 },
    });
    const { created, underReplicated } = await ensureTopics(a, config, {
      warn: (fields, message) => warnings.push({ topic: fields.topic, message }),
    });
    expect(created).toEqual([config.topics.commands, config.topics.deadLetter]);
    expect(underReplicated).toEqual([
      { topic: config.topics.jobs, replicationFactor: 1, wanted: 3 },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain(
      `Kafka topic ${config.topics.jobs} has 1 replica(s), fewer than the 3`,
    );
  });

  it('the topic definitions carry min.insync.replicas only when asked', () => {
    expect(
      jobTopicConfigs(config, { replicationFactor: 1, minInsyncReplicas: undefined }).map(insync),
    ).toEqual([undefined, undefined, undefined, undefined]);
  });
});
