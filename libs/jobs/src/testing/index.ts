import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadJobsConfig, type JobsConfig } from '../config/jobs-config';
import { KAFKA_SECURITY_VARIABLES } from '../config/kafka-security';
import { createKafka, type KafkaLike } from '../kafka/kafka-client';
import { TopicFollower } from '../state/topic-follower';

/** The KAFKA_SSL* / KAFKA_SASL* variables of `env` (how the test broker is reached). */
export function kafkaSecurityEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(
    KAFKA_SECURITY_VARIABLES.filter((name) => env[name] !== undefined).map((name) => [
      name,
      env[name],
    ]),
  );
}

/** `env` without the KAFKA_SSL* / KAFKA_SASL* variables: for a plaintext broker of a test's own. */
export function withoutKafkaSecurity(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !(KAFKA_SECURITY_VARIABLES as string[]).includes(name)),
  );
}

/**
 * Environment of an isolated pipeline on the test broker: its own topics, worker group and chunk
 * directory, short session timeouts so a killed worker is noticed in seconds; the broker's
 * TLS/SASL settings (KAFKA_SSL*, KAFKA_SASL*) as the process has them.
 */
export function testEnv(name: string): NodeJS.ProcessEnv {
  const brokers = process.env['KAFKA_BROKERS'];
  if (!brokers) {
    throw new Error(
      'KAFKA_BROKERS is not set: the Kafka integration tests need a real broker. Run them through `npm test` ' +
        '(tools/test.sh starts one from tools/kafka) or start one with `bash tools/kafka/kafka.sh up $$` and ' +
        'export KAFKA_BROKERS=127.0.0.1:9092.',
    );
  }
  const prefix = `test.${name}.${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  return {
    ...kafkaSecurityEnv(),
    KAFKA_BROKERS: brokers,
    KAFKA_CLIENT_ID: prefix,
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '500',
    JOBS_TOPIC: `${prefix}.jobs`,
    JOBS_STATUS_TOPIC: `${prefix}.job-status`,
    JOBS_COMMANDS_TOPIC: `${prefix}.job-commands`,
    JOBS_DLQ_TOPIC: `${prefix}.jobs.dlq`,
    JOBS_WORKER_GROUP: `${prefix}.workers`,
    JOBS_RETRY_BACKOFF_MS: '100',
    JOBS_CHUNK_DIR: mkdtempSync(join(tmpdir(), 'nextx-jobs-test-')),
  };
}

/** The test broker's SASL_SSL listener: where it is and what it accepts. */
export interface SaslSslListener {
  /** `host:port` of the listener. */
  readonly brokers: string;
  /** Path of a file of the listener's folder (`ca.crt`, `client.crt`, `client.key`, `password`). */
  file(name: string): string;
  /** The user it knows (PLAIN and SCRAM). */
  readonly username: string;
}

/**
 * The SASL_SSL listener tools/test.sh starts the local broker with (KAFKA_SASL_SSL_PORT), from
 * the KAFKA_SASL_SSL_BROKERS and KAFKA_SASL_SSL_DIR it exports; throws saying how to get one
 * when they are missing.
 */
export function saslSslListener(): SaslSslListener {
  const brokers = process.env['KAFKA_SASL_SSL_BROKERS'];
  const dir = process.env['KAFKA_SASL_SSL_DIR'];
  if (!brokers || !dir || !existsSync(join(dir, 'ca.crt'))) {
    throw new Error(
      'KAFKA_SASL_SSL_BROKERS / KAFKA_SASL_SSL_DIR are not set (or the folder has no ca.crt): these ' +
        'tests need the broker started with its SASL_SSL listener. Run them through `npm test` ' +
        '(tools/test.sh asks tools/kafka for one), or: export KAFKA_SASL_SSL_PORT=9094; ' +
        'source tools/kafka/ensure-broker.sh (it exports both).',
    );
  }
  return {
    brokers,
    file: (name) => join(dir, name),
    username: readFileSync(join(dir, 'username'), 'utf8').trim(),
  };
}

/**
 * An isolated pipeline env ({@link testEnv}) on the SASL_SSL listener, its security set by the
 * KAFKA_SSL* / KAFKA_SASL* variables as in production: the listener's CA, its user and password
 * file, then `security` (the mechanism, and any override; `undefined` removes a variable).
 */
export function saslSslTestEnv(
  name: string,
  security: NodeJS.ProcessEnv,
  listener: SaslSslListener = saslSslListener(),
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...withoutKafkaSecurity(testEnv(name)),
    KAFKA_BROKERS: listener.brokers,
    KAFKA_SSL_CA: listener.file('ca.crt'),
    KAFKA_SASL_USERNAME: listener.username,
    KAFKA_SASL_PASSWORD_FILE: listener.file('password'),
    ...security,
  };
  // Removed, not empty: an empty value is a value (and a bad one) for the config.
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

/** Validated config of {@link testEnv}. */
export function testConfig(name: string): { env: NodeJS.ProcessEnv; config: JobsConfig } {
  const env = testEnv(name);
  return { env, config: loadJobsConfig(env) };
}

/** Polls `predicate` until it holds or `timeoutMs` passes. */
export async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Deletes the four topics of a {@link testEnv} pipeline (the shared broker keeps its data). */
export async function deleteTestTopics(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadJobsConfig(env);
  const admin = createKafka(config).admin();
  await admin.connect();
  const { topics } = config;
  await admin
    .deleteTopics({ topics: [topics.jobs, topics.status, topics.commands, topics.deadLetter] })
    .catch(() => undefined);
  await admin.disconnect();
}

/** Every record of `topic` from the beginning (read with a private group), decoded by `decode`. */
export async function readTopic<T>(
  kafka: KafkaLike,
  config: JobsConfig,
  topic: string,
  decode: (b: Buffer) => T,
): Promise<{ key: string; value: T }[]> {
  const records: { key: string; value: T }[] = [];
  const follower = new TopicFollower(kafka, {
    topic,
    groupPrefix: `${config.clientId}.reader`,
    sessionTimeoutMs: config.sessionTimeoutMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    onRecord: ({ key, value }) => {
      if (value) records.push({ key, value: decode(value) });
    },
  });
  await follower.start();
  await follower.stop();
  return records;
}
