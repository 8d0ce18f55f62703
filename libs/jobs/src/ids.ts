import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Longest accepted idempotency key, characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

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
