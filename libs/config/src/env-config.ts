import { z } from 'zod';
import { ConfigError } from './config-error';
import { envInt, envIntOptional } from './env-values';
import { loadServerSecurity, securityEnvSchema, type ServerSecurity } from './grpc-security';
import { parseEnv } from './parse-env';
import { loadTracingConfig, type TracingConfig } from './tracing-config';

/** Settings every gRPC service reads from its environment. */
export const serviceEnvSchema = z.object({
  /** Interface the gRPC server binds. */
  GRPC_HOST: z.string().min(1).default('127.0.0.1'),
  /** gRPC port; each service has its own default. */
  GRPC_PORT: envIntOptional(1, 65535),
  /** Prometheus /metrics port; 0 disables the endpoint. */
  METRICS_PORT: envIntOptional(0, 65535),
  /** Largest accepted request message, bytes. */
  MAX_MESSAGE_BYTES: envInt(16 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  /** How long shutdown waits for in-flight calls before cancelling them, ms. */
  SHUTDOWN_GRACE_MS: envInt(10_000, 0, 600_000),
  /**
   * How long the service reports NOT_SERVING after SIGTERM while still taking calls, ms, before
   * it stops accepting: the time a load balancer or Kubernetes endpoint controller needs to
   * notice and route elsewhere. 0 (the default, right for a process run by hand) stops at once.
   */
  SHUTDOWN_DRAIN_DELAY_MS: envInt(0, 0, 300_000),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ...securityEnvSchema.shape,
});

/** The validated common settings with the service's port defaults applied. */
export interface ServiceConfig {
  readonly host: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly maxMessageBytes: number;
  readonly shutdownGraceMs: number;
  /** NOT_SERVING but still accepting, after SIGTERM and before the server stops accepting, ms. */
  readonly shutdownDrainDelayMs: number;
  readonly logLevel: z.infer<typeof serviceEnvSchema>['LOG_LEVEL'];
  /** TLS, mTLS and API keys; absent (or without `tls` and keys) = plaintext, unauthenticated. */
  readonly security?: ServerSecurity;
  /** OpenTelemetry tracing (`OTEL_*`); off unless `OTEL_TRACES_EXPORTER` names an exporter. */
  readonly tracing: TracingConfig;
}

/** Reads the common settings (tracing included); `defaults` gives the service's own ports. */
export function loadServiceConfig(
  env: NodeJS.ProcessEnv,
  defaults: { port: number; metricsPort: number },
): ServiceConfig {
  const parsed = parseEnv(serviceEnvSchema, env);
  const { security, problems } = loadServerSecurity(parsed);
  if (!security) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return {
    host: parsed.GRPC_HOST,
    port: parsed.GRPC_PORT ?? defaults.port,
    metricsPort: parsed.METRICS_PORT ?? defaults.metricsPort,
    maxMessageBytes: parsed.MAX_MESSAGE_BYTES,
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
    shutdownDrainDelayMs: parsed.SHUTDOWN_DRAIN_DELAY_MS,
    logLevel: parsed.LOG_LEVEL,
    security,
    tracing: loadTracingConfig(env),
  };
}
