/** A bad environment value: the process stops at start with this message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
