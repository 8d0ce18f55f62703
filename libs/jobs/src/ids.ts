import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { protobufAny } from '@nextx/proto';

/**
 * Longest accepted idempotency key, characters: the one limit the submitter and every service's
 * request check use.
 */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/**
 * Job id of an idempotency key: `job-` + 32 hex digits of its SHA-256, so every submission with
 * the same key, from any process, names the same job.
 */
export function jobIdFor(idempotencyKey: string): string {
  return `job-${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, 32)}`;
}

/** A worker id unique across hosts and restarts: host, pid and a random suffix. */
export function newWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * Digest of what a submission asks for (its kind and packed params): equal for a retry of the
 * same submission, different when the same idempotency key is reused for another job.
 */
export function specDigestOf(kind: string, params: protobufAny.Any | undefined): string {
  const hash = createHash('sha256').update(kind, 'utf8').update('\0');
  if (params) hash.update(params.typeUrl, 'utf8').update('\0').update(params.value);
  return hash.digest('hex').slice(0, 32);
}
