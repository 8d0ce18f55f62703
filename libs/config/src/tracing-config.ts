import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { parseEnv } from './parse-env';

/**
 * Where finished spans go: nowhere (the default; tracing costs nothing), an OTLP/HTTP collector,
 * stderr, or a file. `console` and `file` write the same OTLP/JSON lines.
 */
export const TRACES_EXPORTERS = ['none', 'otlp', 'console', 'file'] as const;

/** One of {@link TRACES_EXPORTERS}. */
export type TracesExporter = (typeof TRACES_EXPORTERS)[number];

/**
 * Tracing settings of every process (services and workers). The names are OpenTelemetry's own
 * (`OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`), so a deployment
 * configured for other OpenTelemetry services configures these too; `file` and
 * `OTEL_TRACES_FILE` are nextx's, for tests and offline use.
 */
export const tracingEnvSchema = z.object({
  /** `none` (default), `otlp`, `console` (OTLP/JSON lines on stderr) or `file`. */
  OTEL_TRACES_EXPORTER: z.enum(TRACES_EXPORTERS).default('none'),
  /** Base URL of the OTLP/HTTP collector; traces go to `<endpoint>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
    .default('http://localhost:4318'),
  /** Full URL of the OTLP/HTTP traces endpoint; overrides the one derived from the base URL. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
    .optional(),
  /** File the `file` exporter appends OTLP/JSON lines to (one export request a line). */
  OTEL_TRACES_FILE: z.string().min(1).optional(),
  /** `service.name` of the spans; default per process (`nextx-video`, `nextx-video-worker`, …). */
  OTEL_SERVICE_NAME: z.string().min(1).max(256).optional(),
});

/** The validated tracing settings, read once at start. */
export interface TracingConfig {
  /** Where finished spans go. */
  readonly exporter: TracesExporter;
  /** OTLP/HTTP traces URL (exporter `otlp`). */
  readonly otlpTracesUrl: string;
  /** Absolute path of the span file (exporter `file`). */
  readonly file?: string;
  /** `service.name` of the spans; unset = the process's default. */
  readonly serviceName?: string;
}

/** Tracing off: what a process runs with unless `OTEL_TRACES_EXPORTER` says otherwise. */
export const TRACING_OFF: TracingConfig = {
  exporter: 'none',
  otlpTracesUrl: 'http://localhost:4318/v1/traces',
};

/**
 * Reads the tracing settings once; a bad value, or `file` without `OTEL_TRACES_FILE`, throws a
 * {@link ConfigError} naming the variable.
 */
export function loadTracingConfig(env: NodeJS.ProcessEnv): TracingConfig {
  const e = parseEnv(tracingEnvSchema, env);
  if (e.OTEL_TRACES_EXPORTER === 'file' && !e.OTEL_TRACES_FILE)
    throw new ConfigError(
      'invalid configuration: OTEL_TRACES_FILE="": required when OTEL_TRACES_EXPORTER=file',
    );
  return {
    exporter: e.OTEL_TRACES_EXPORTER,
    otlpTracesUrl:
      e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`,
    file: e.OTEL_TRACES_FILE ? resolve(e.OTEL_TRACES_FILE) : undefined,
    serviceName: e.OTEL_SERVICE_NAME,
  };
}
