import type { Admin, ITopicConfig } from 'kafkajs';
import type { JobsConfig } from '../config/jobs-config';
import {
  topicReplication,
  underReplicatedTopics,
  type TopicReplication,
  type UnderReplicatedTopic,
} from './topic-replication';

/**
 * The topic definitions of the pipeline: explicit partitions, retention and, for status,
 * compaction; replicated as `replication` says, with its `min.insync.replicas` on every topic
 * (all of them are written with acks=all).
 */
export function jobTopicConfigs(
  config: JobsConfig,
  replication: Pick<TopicReplication, 'replicationFactor' | 'minInsyncReplicas'>,
): ITopicConfig[] {
  const { topics, partitions } = config;
  const { replicationFactor, minInsyncReplicas } = replication;
  const insync =
    minInsyncReplicas === undefined
      ? []
      : [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }];
  return [
    {
      topic: topics.jobs,
      numPartitions: partitions,
      replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: String(config.retentionMs) },
        ...insync,
      ],
    },
    {
      // Same partition count as the jobs topic: a job's spec and status share a partition number.
      topic: topics.status,
      numPartitions: partitions,
      replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        // Keep the last hour uncompacted so a watcher sees every step of a recent job.
        { name: 'min.compaction.lag.ms', value: String(60 * 60 * 1000) },
        ...insync,
      ],
    },
    {
      // One partition: every worker reads all commands in issue order.
      topic: topics.commands,
      numPartitions: 1,
      replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: String(config.retentionMs) },
        ...insync,
      ],
    },
    {
      topic: topics.deadLetter,
      numPartitions: 1,
      replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: String(config.deadLetterRetentionMs) },
        ...insync,
      ],
    },
  ];
}

/** What {@link ensureTopics} did. */
export interface EnsuredTopics {
  /** Topics it created. */
  readonly created: string[];
  /** The replication it created them with (and wanted of the existing ones). */
  readonly replication: TopicReplication;
  /** Existing topics with fewer replicas than wanted (each also reported through `warn`). */
  readonly underReplicated: UnderReplicatedTopic[];
}

/** Options of {@link ensureTopics}. */
export interface EnsureTopicsOptions {
  /**
   * Where the warning about an existing topic with fewer replicas than wanted goes (pino's
   * `warn(fields, message)` fits); default a process warning on stderr.
   */
  readonly warn?: (fields: UnderReplicatedTopic, message: string) => void;
}

/**
 * Creates the pipeline's topics that do not exist yet (idempotent), replicated
 * `KAFKA_REPLICATION_FACTOR` times or, unset, `min(3, brokers)` times from the cluster's broker
 * count ({@link topicReplication}); a configured factor larger than the cluster throws a
 * ConfigError. Existing topics are left as they are, but one with fewer replicas than wanted is
 * reported through `warn` (raising a topic's replication is a reassignment, an operator's call).
 */
export async function ensureTopics(
  admin: Pick<Admin, 'listTopics' | 'createTopics' | 'describeCluster' | 'fetchTopicMetadata'>,
  config: JobsConfig,
  options: EnsureTopicsOptions = {},
): Promise<EnsuredTopics> {
  const [listed, cluster] = await Promise.all([admin.listTopics(), admin.describeCluster()]);
  const replication = topicReplication(
    config.replicationFactor,
    cluster.brokers.length,
    config.brokers,
  );
  const wanted = jobTopicConfigs(config, replication);
  const existing = new Set(listed);
  const present = wanted.filter((t) => existing.has(t.topic)).map((t) => t.topic);
  const underReplicated = present.length
    ? underReplicatedTopics(
        (await admin.fetchTopicMetadata({ topics: present })).topics,
        replication.replicationFactor,
      )
    : [];
  const warn =
    options.warn ??
    ((_fields: UnderReplicatedTopic, message: string) => process.emitWarning(message));
  for (const topic of underReplicated) {
    warn(
      topic,
      `Kafka topic ${topic.topic} has ${topic.replicationFactor} replica(s), fewer than the ${topic.wanted} ` +
        `the job pipeline wants (${replication.source === 'cluster' ? `min(3, ${replication.brokers} brokers)` : 'KAFKA_REPLICATION_FACTOR'}): ` +
        'it was created earlier; raise it with a partition reassignment (kafka-reassign-partitions) or recreate it',
    );
  }
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return { created: [], replication, underReplicated };
  await createTopicsWithLeaders(admin, missing);
  return { created: missing.map((t) => t.topic), replication, underReplicated };
}

/**
 * Creates `topics` and waits until their partitions have leaders. Another process may have
 * created them between a listing and this request (then they exist: done), and a KRaft broker
 * may answer UNKNOWN_TOPIC_OR_PARTITION while a new topic's metadata propagates, which kafkajs's
 * wait for leaders does not retry (only LEADER_NOT_AVAILABLE): that is tried again, 10 × 200 ms.
 */
export async function createTopicsWithLeaders(
  admin: Pick<Admin, 'createTopics' | 'listTopics'>,
  topics: ITopicConfig[],
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.createTopics({ topics, waitForLeaders: true });
      return;
    } catch (error) {
      const now = new Set(await admin.listTopics());
      if (topics.every((t) => now.has(t.topic))) return;
      const type = (error as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
