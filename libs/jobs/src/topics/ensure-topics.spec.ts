import { describe, expect, it } from 'vitest';
import { loadJobsConfig } from '../config/jobs-config';
import { ensureTopics } from './ensure-topics';

/** An admin whose first createTopics fails the way a KRaft broker answers while metadata propagates. */
function admin(failure: { type: string }) {
  const created = new Set<string>();
  let calls = 0;
  return {
    calls: () => calls,
    listTopics: () => Promise.resolve(calls === 1 ? [] : [...created]),
    createTopics: ({ topics }: { topics: { topic: string }[] }) => {
      calls++;
      if (calls === 1) return Promise.reject(Object.assign(new Error(failure.type), failure));
      for (const t of topics) created.add(t.topic);
      return Promise.resolve(true);
    },
  };
}

describe('ensureTopics', () => {
  const config = loadJobsConfig({ KAFKA_BROKERS: '127.0.0.1:9092' });

  it('tries again when the broker does not host a just-created topic yet', async () => {
    const a = admin({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    const made = await ensureTopics(a, config);
    expect(made.length).toBeGreaterThan(0);
    expect(a.calls()).toBe(2);
  });

  it('gives up at once on any other error', async () => {
    await expect(
      ensureTopics(admin({ type: 'INVALID_REPLICATION_FACTOR' }), config),
    ).rejects.toThrow('INVALID_REPLICATION_FACTOR');
  });
});
