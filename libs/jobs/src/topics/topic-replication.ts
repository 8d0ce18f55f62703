import { ConfigError } from '@nextx/config';
import type { ITopicMetadata } from 'kafkajs';

/** The most replicas a topic gets when the factor is derived from the cluster. */
export const DERIVED_REPLICATION_CAP = 3;

/** The factor from which the job topics need two in-sync replicas for a write. */
export const MIN_INSYNC_FROM_FACTOR = 3;

/** How the pipeline's topics are replicated on the cluster at hand. */
export interface TopicReplication {
  /** Replicas of each partition. */
  readonly replicationFactor: number;
  /**
   * `min.insync.replicas` of the job topics (2 from a factor of 3: an `acks=all` write survives
   * one broker loss and is never acknowledged by one broker alone); undefined = the broker's.
   */
  readonly minInsyncReplicas: number | undefined;
  /** `KAFKA_REPLICATION_FACTOR`, or derived from the broker count (`min(3, brokers)`). */
  readonly source: 'configured' | 'cluster';
  /** Brokers the cluster reported. */
  readonly brokers: number;
}

/**
 * The replication of the job topics: `configured` (`KAFKA_REPLICATION_FACTOR`) when set, else
 * `min(3, brokers)`. A configured factor larger than the cluster cannot be met: it throws a
 * {@link ConfigError} naming the variable and the broker count (instead of kafkajs's
 * INVALID_REPLICATION_FACTOR at the first topic creation, or unreplicated topics on a cluster).
 */
export function topicReplication(
  configured: number | undefined,
  brokers: number,
  bootstrap: readonly string[] = [],
): TopicReplication {
  if (configured !== undefined && configured > brokers) {
    const at = bootstrap.length ? ` (KAFKA_BROKERS=${bootstrap.join(',')})` : '';
    throw new ConfigError(
      `invalid configuration: KAFKA_REPLICATION_FACTOR=${configured} is larger than the ${brokers} ` +
        `broker(s) of the Kafka cluster${at}: lower it, or leave it unset to use min(${DERIVED_REPLICATION_CAP}, brokers)`,
    );
  }
  const replicationFactor = configured ?? Math.max(1, Math.min(DERIVED_REPLICATION_CAP, brokers));
  return {
    replicationFactor,
    minInsyncReplicas: replicationFactor >= MIN_INSYNC_FROM_FACTOR ? 2 : undefined,
    source: configured === undefined ? 'cluster' : 'configured',
    brokers,
  };
}

/** An existing topic with fewer replicas than wanted. */
export interface UnderReplicatedTopic {
  /** Topic name. */
  readonly topic: string;
  /** Fewest replicas of any of its partitions. */
  readonly replicationFactor: number;
  /** What the pipeline would create it with now. */
  readonly wanted: number;
}

/** The topics of `metadata` whose partitions have fewer than `wanted` replicas (least per topic). */
export function underReplicatedTopics(
  metadata: readonly Pick<ITopicMetadata, 'name' | 'partitions'>[],
  wanted: number,
): UnderReplicatedTopic[] {
  return metadata.flatMap(({ name, partitions }) => {
    const replicationFactor = Math.min(...partitions.map((p) => p.replicas.length));
    return partitions.length > 0 && replicationFactor < wanted
      ? [{ topic: name, replicationFactor, wanted }]
      : [];
  });
}
