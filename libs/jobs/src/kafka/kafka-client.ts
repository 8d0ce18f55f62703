import { Kafka, logLevel, type LogEntry, type Producer } from 'kafkajs';
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
 * A kafkajs client for the configured brokers. kafkajs log lines go to `logger` (pino) when
 * given, at warn level and above; otherwise only errors reach stderr.
 */
export function createKafka(
  config: JobsConfig,
  options: { clientId?: string; logger?: Logger } = {},
): Kafka {
  const { logger } = options;
  return new Kafka({
    clientId: options.clientId ?? config.clientId,
    brokers: [...config.brokers],
    logLevel: logger ? logLevel.WARN : logLevel.ERROR,
    logCreator: logger
      ? () =>
          ({ namespace, level, log }: LogEntry) => {
            const { message, ...extra } = log;
            logger[LEVELS[level] ?? 'info']({ kafkajs: namespace, ...extra }, message);
          }
      : undefined,
    retry: { initialRetryTime: 200, retries: 10 },
  });
}

/** Idempotent producer settings: retries never duplicate or reorder a record in a partition. */
export function createIdempotentProducer(kafka: Pick<Kafka, 'producer'>): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
}
