import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer } from 'kafkajs';
import type { KafkaLike } from '../kafka/kafka-client';

/** One record seen by a {@link TopicFollower}. */
export interface FollowedRecord {
  /** Record key (the job id in this pipeline). */
  readonly key: string;
  /** Record value; null for a tombstone. */
  readonly value: Buffer | null;
  /** Partition of the record. */
  readonly partition: number;
  /** Offset of the record. */
  readonly offset: string;
}

/** Options of a {@link TopicFollower}. */
export interface TopicFollowerOptions {
  /** Topic to read from its beginning and then follow. */
  readonly topic: string;
  /** Prefix of the follower's private consumer group (a random suffix is added). */
  readonly groupPrefix: string;
  /** Consumer session timeout, ms. */
  readonly sessionTimeoutMs: number;
  /** Consumer heartbeat interval, ms. */
  readonly heartbeatIntervalMs: number;
  /** Called for every record, in partition order. */
  readonly onRecord: (record: FollowedRecord) => void;
}

/**
 * Reads a whole topic from the beginning and keeps following it, with a private consumer group
 * (so every follower sees every record), and tells when it has caught up with what was in the
 * topic at a given moment. The basis of state rebuilt from Kafka.
 */
export class TopicFollower {
  private readonly groupId: string;
  private consumer?: Consumer;
  private admin?: Admin;
  /** Next offset to read, per partition. */
  private readonly positions = new Map<number, bigint>();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly kafka: KafkaLike,
    private readonly options: TopicFollowerOptions,
  ) {
    this.groupId = `${options.groupPrefix}.${randomUUID()}`;
  }

  /** Joins, starts reading from offset 0 and resolves once caught up with the topic's current end. */
  async start(): Promise<void> {
    const { topic, sessionTimeoutMs, heartbeatIntervalMs } = this.options;
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.consumer = this.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [topic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        this.options.onRecord({
          key: message.key?.toString('utf8') ?? '',
          value: message.value,
          partition,
          offset: message.offset,
        });
        this.positions.set(partition, BigInt(message.offset) + 1n);
        for (const wake of this.waiters) wake();
      },
    });
    await this.caughtUp();
  }

  /**
   * Resolves once every record that was in the topic when called has been passed to `onRecord`
   * (read-your-writes for anything acknowledged before the call).
   */
  async caughtUp(timeoutMs = 60_000): Promise<void> {
    if (!this.admin) throw new Error(`follower of ${this.options.topic} is not started`);
    const ends = await this.topicEnds(this.admin);
    const behind = () =>
      ends.some(
        (p) =>
          BigInt(p.high) > BigInt(p.low) &&
          (this.positions.get(p.partition) ?? 0n) < BigInt(p.high),
      );
    if (!behind()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`reading ${this.options.topic} did not catch up within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (behind()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /**
   * Current end offsets of the topic. Right after a topic is created (or a broker restarts) the
   * broker may briefly answer NOT_LEADER / UNKNOWN_TOPIC; those retriable errors are retried.
   */
  private async topicEnds(
    admin: Admin,
  ): Promise<{ partition: number; high: string; low: string }[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await admin.fetchTopicOffsets(this.options.topic);
      } catch (error) {
        if (!(error as { retriable?: boolean }).retriable || attempt >= 20) throw error;
        await sleep(Math.min(100 * attempt, 1000));
      }
    }
  }

  /** Leaves and deletes the private group. */
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.admin?.deleteGroups([this.groupId]).catch(() => undefined);
    await this.admin?.disconnect();
    this.consumer = undefined;
    this.admin = undefined;
  }
}
