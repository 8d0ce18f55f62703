/**
 * Thrown by request validation anywhere in the system. Transport layers map it to their own
 * "invalid argument" status (gRPC INVALID_ARGUMENT) and keep the field and limit for clients.
 */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';

  /**
   * @param field dotted request path of the offending field, e.g. `series.values`
   * @param limit the rule that was broken, e.g. `<= 100000 values`
   * @param detail what was wrong with the value
   */
  constructor(
    readonly field: string,
    readonly limit: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail} (limit: ${limit})`);
  }
}

/** Thrown when a bounded resource (queue, memory budget) is full; maps to RESOURCE_EXHAUSTED. */
export class ResourceExhaustedError extends Error {
  override readonly name = 'ResourceExhaustedError';

  /**
   * @param resource what is full, e.g. `image generation queue`
   * @param limit its bound, e.g. `2 running + 8 waiting`
   * @param retryAfterMs when a retry is likely to be admitted (sent as RetryInfo); unset = no hint
   */
  constructor(
    readonly resource: string,
    readonly limit: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${resource} is full (limit: ${limit})`);
  }
}

/** Longest piece of a client-supplied key a {@link NotFoundError} message echoes. */
const ECHO_CHARS = 64;

/**
 * Thrown when a named thing (model, job) does not exist; maps to NOT_FOUND. The message echoes
 * at most a short prefix of the key: it travels in a header, and the key came from the client.
 */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';

  constructor(
    readonly kind: string,
    readonly key: string,
  ) {
    const shown = key.length > ECHO_CHARS ? `${key.slice(0, ECHO_CHARS)}…` : key;
    super(`${kind} "${shown}" not found`);
  }
}
