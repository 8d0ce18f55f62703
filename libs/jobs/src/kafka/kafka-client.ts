import {
  Kafka,
  logLevel,
  type KafkaConfig,
  type LogEntry,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import type { Logger } from 'pino';
import type { JobsConfig } from '../config/jobs-config';

/** The part of a kafkajs client the pipeline uses (tests may pass a smaller fake). */
export type KafkaLike = Pick<Kafka, 'producer' | 'consumer' | 'admin'>;

/** The part of a producer that sends (what submitters and workers hold). */
export type SendOnly = Pick<Producer, 'send'>;

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Errors kafkajs reports while a broker or its group coordinator is still starting, and which it
 * retries by itself: a healthy start prints them (`The coordinator is loading`, `Crash:
 * KafkaJSProtocolError` before a consumer restart), and a new user reads them as a failure.
 */
const WARMING_UP =
  /coordinator is loading|coordinator is not available|not the correct coordinator|no leader for this topic-partition|leadership election/i;

/**
 * Where a kafkajs log entry goes in `logger`: a transient warm-up error that kafkajs retries is
 * an info line marked `retrying`, everything else keeps its level.
 */
export function forwardKafkaLog(logger: Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>) {
  return ({ namespace, level, log }: LogEntry): void => {
    const { message, ...extra } = log;
    const text = `${message} ${String((extra as { error?: unknown }).error ?? '')}`;
    if (level <= logLevel.WARN && WARMING_UP.test(text)) {
      logger.info({ kafkajs: namespace, retrying: true, ...extra }, message);
      return;
    }
    logger[LEVELS[level] ?? 'info']({ kafkajs: namespace, ...extra }, message);
  };
}

/** The kafkajs `ssl` and `sasl` options of the configured security (both absent = plaintext). */
export function kafkaSecurityOptions(
  security: JobsConfig['security'],
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { ssl, sasl } = security;
  return {
    ...(ssl ? { ssl: { ...ssl } } : {}),
    // Copied field by field: the config's password is non-enumerable, a spread would drop it.
    ...(sasl
      ? {
          sasl: {
            mechanism: sasl.mechanism,
            username: sasl.username,
            password: sasl.password,
          } as SASLOptions,
        }
      : {}),
  };
}

/** Settings of {@link createKafka}. */
export interface CreateKafkaOptions {
  /** Client id; default the configured prefix. */
  readonly clientId?: string;
  /** Where kafkajs log lines go (warn and above); absent = errors on stderr. */
  readonly logger?: Logger;
  /** kafkajs retry policy; default 10 retries from 200 ms. */
  readonly retry?: KafkaConfig['retry'];
  /** kafkajs log level without a logger; default ERROR. */
  readonly logLevel?: logLevel;
}

/**
 * A kafkajs client for the configured brokers, with the configured TLS and SASL. kafkajs log
 * lines go to `logger` (pino) when given, at warn level and above; otherwise only errors reach
 * stderr.
 */
export function createKafka(config: JobsConfig, options: CreateKafkaOptions = {}): Kafka {
  const { logger } = options;
  return new Kafka({
    clientId: options.clientId ?? config.clientId,
    brokers: [...config.brokers],
    ...kafkaSecurityOptions(config.security),
    logLevel: logger ? logLevel.WARN : (options.logLevel ?? logLevel.ERROR),
    logCreator: logger ? () => forwardKafkaLog(logger) : undefined,
    retry: options.retry ?? { initialRetryTime: 200, retries: 10 },
  });
}

/**
 * `acks` of every record the pipeline writes: all in-sync replicas. With `min.insync.replicas=2`
 * on a 3-broker cluster (see `topicReplication`), an acknowledged job, status or command is on
 * two brokers and survives the loss of one; the idempotent producer requires it too.
 */
export const JOB_RECORD_ACKS = -1;

/** Idempotent producer settings: retries never duplicate or reorder a record in a partition. */
export function createIdempotentProducer(kafka: Pick<Kafka, 'producer'>): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
}
