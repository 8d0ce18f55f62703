import { ConfigError } from '@nextx/config';
import { describe, expect, it } from 'vitest';
import { topicReplication, underReplicatedTopics } from './topic-replication';

describe('topicReplication', () => {
  it('derives min(3, brokers) when KAFKA_REPLICATION_FACTOR is unset', () => {
    expect([1, 2, 3, 4, 9].map((b) => topicReplication(undefined, b).replicationFactor)).toEqual([
      1, 2, 3, 3, 3,
    ]);
    expect(topicReplication(undefined, 3)).toEqual({
      replicationFactor: 3,
      minInsyncReplicas: 2,
      source: 'cluster',
      brokers: 3,
    });
  });

  it('needs two in-sync replicas from a factor of 3 only', () => {
    expect(topicReplication(undefined, 2).minInsyncReplicas).toBeUndefined();
    expect(topicReplication(1, 3).minInsyncReplicas).toBeUndefined();
    expect(topicReplication(2, 3).minInsyncReplicas).toBeUndefined();
    expect(topicReplication(3, 5).minInsyncReplicas).toBe(2);
    expect(topicReplication(5, 5).minInsyncReplicas).toBe(2);
  });

  it('keeps a configured factor the cluster can meet, smaller or larger than 3', () => {
    expect(topicReplication(1, 3)).toMatchObject({ replicationFactor: 1, source: 'configured' });
    expect(topicReplication(5, 6)).toMatchObject({ replicationFactor: 5, source: 'configured' });
  });

  it('refuses a configured factor above the broker count, naming the variable and the count', () => {
    expect(() => topicReplication(3, 1, ['kafka-1:9092'])).toThrow(ConfigError);
    expect(() => topicReplication(3, 1, ['kafka-1:9092'])).toThrow(
      'invalid configuration: KAFKA_REPLICATION_FACTOR=3 is larger than the 1 broker(s) of the Kafka cluster (KAFKA_BROKERS=kafka-1:9092)',
    );
    expect(() => topicReplication(4, 3)).toThrow(/KAFKA_REPLICATION_FACTOR=4 .* 3 broker\(s\)/);
  });

  it('a cluster that reports no broker still gets one replica (createTopics then says why)', () => {
    expect(topicReplication(undefined, 0).replicationFactor).toBe(1);
  });
});

describe('underReplicatedTopics', () => {
  const topic = (name: string, ...replicas: number[]) => ({
    name,
    partitions: replicas.map((n, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 1,
      replicas: Array.from({ length: n }, (_, i) => i + 1),
      isr: [1],
    })),
  });

  it('lists the topics with a partition below the wanted factor, with their fewest replicas', () => {
    expect(underReplicatedTopics([topic('a', 3, 3), topic('b', 3, 1), topic('c', 1)], 3)).toEqual([
      { topic: 'b', replicationFactor: 1, wanted: 3 },
      { topic: 'c', replicationFactor: 1, wanted: 3 },
    ]);
    expect(underReplicatedTopics([topic('a', 1)], 1)).toEqual([]);
    expect(underReplicatedTopics([topic('empty')], 3)).toEqual([]);
  });
});
