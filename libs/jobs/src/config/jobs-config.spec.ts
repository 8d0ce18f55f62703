import { ConfigError } from '@nextx/config';
import { describe, expect, it } from 'vitest';
import { loadJobsConfig } from './jobs-config';

describe('loadJobsConfig', () => {
  it('applies the defaults: topics, 6 partitions, 7-day retention, 3 attempts', () => {
    const config = loadJobsConfig({ KAFKA_BROKERS: '127.0.0.1:9092,kafka-1:9092' });
    expect(config).toMatchObject({
      brokers: ['127.0.0.1:9092', 'kafka-1:9092'],
      topics: {
        jobs: 'nextx.video.jobs',
        status: 'nextx.video.job-status',
        commands: 'nextx.video.job-commands',
        deadLetter: 'nextx.video.jobs.dlq',
      },
      partitions: 6,
      retentionMs: 7 * 24 * 3600 * 1000,
      maxAttempts: 3,
      outputRetentionMs: 7 * 24 * 3600 * 1000,
    });
  });

  it('leaves the replication factor to the cluster unless KAFKA_REPLICATION_FACTOR is set', () => {
    expect(loadJobsConfig({ KAFKA_BROKERS: 'h:1' }).replicationFactor).toBeUndefined();
    expect(
      loadJobsConfig({ KAFKA_BROKERS: 'h:1', KAFKA_REPLICATION_FACTOR: '3' }).replicationFactor,
    ).toBe(3);
    expect(() => loadJobsConfig({ KAFKA_BROKERS: 'h:1', KAFKA_REPLICATION_FACTOR: '0' })).toThrow(
      /KAFKA_REPLICATION_FACTOR="0": expected >= 1/,
    );
  });

  it('names the variable when KAFKA_BROKERS is missing or a value is bad', () => {
    expect(() => loadJobsConfig({})).toThrow(/KAFKA_BROKERS="": required/);
    expect(() => loadJobsConfig({ KAFKA_BROKERS: 'localhost' })).toThrow(
      /KAFKA_BROKERS="localhost": expected host:port/,
    );
    expect(() => loadJobsConfig({ KAFKA_BROKERS: 'h:1', JOBS_MAX_ATTEMPTS: '0' })).toThrow(
      /JOBS_MAX_ATTEMPTS="0": expected >= 1/,
    );
    expect(() =>
      loadJobsConfig({
        KAFKA_BROKERS: 'h:1',
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        KAFKA_HEARTBEAT_INTERVAL_MS: '3000',
      }),
    ).toThrow(ConfigError);
  });
});
