import type { Admin, ITopicConfig } from 'kafkajs';
import type { JobsConfig } from '../config/jobs-config';

/** The topic definitions of the pipeline: explicit partitions, retention and, for status, compaction. */
export function jobTopicConfigs(config: JobsConfig): ITopicConfig[] {
  const { topics, partitions, replicationFactor } = config;
  return [
    {
      topic: topics.jobs,
      numPartitions: partitions,
      replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: String(config.retentionMs) },
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
      ],
    },
    {
      topic: topics.deadLetter,
      numPartitions: 1,
      replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: String(config.deadLetterRetentionMs) },
      ],
    },
  ];
}

/**
 * Creates the pipeline's topics that do not exist yet (idempotent; existing topics are left as
 * they are). Resolves with the names it created.
 */
export async function ensureTopics(
  admin: Pick<Admin, 'listTopics' | 'createTopics'>,
  config: JobsConfig,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = jobTopicConfigs(config).filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return [];
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
      break;
    } catch (error) {
      // Another process may have created them between the listing and the request.
      const now = new Set(await admin.listTopics());
      if (missing.every((t) => now.has(t.topic))) break;
      // A KRaft broker may answer UNKNOWN_TOPIC_OR_PARTITION while a new topic's metadata
      // propagates (kafkajs's wait for leaders retries only LEADER_NOT_AVAILABLE): try again.
      const type = (error as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return missing.map((t) => t.topic);
}
