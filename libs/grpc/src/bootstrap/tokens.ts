/** Injection token of the process-wide structured logger (a Nest `LoggerService`). */
export const LOGGER = Symbol('nextx.logger');
/** Injection token of the validated {@link ServiceConfig}. */
export const SERVICE_CONFIG = Symbol('nextx.service-config');
