/** Injection token of the process-wide structured logger (a Nest `LoggerService`). */
export const LOGGER = Symbol('nextx.logger');
/** Injection token of the validated {@link ServiceConfig}. */
export const SERVICE_CONFIG = Symbol('nextx.service-config');
/** Injection token of the process's `Tracing` (from `@nextx/telemetry`), flushed at shutdown. */
export const TRACING = Symbol('nextx.tracing');
