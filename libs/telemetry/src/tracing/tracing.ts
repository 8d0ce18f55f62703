import {
  context,
  diag,
  DiagLogLevel,
  propagation,
  trace,
  type DiagLogger,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '@nextx/config';
import { appendingTo, OtlpJsonLinesExporter } from './otlp-json-lines-exporter';

/** Tracing of this process, as {@link startTracing} set it up. */
export interface Tracing {
  /** Whether spans are recorded and exported. */
  readonly enabled: boolean;
  /** Exports the spans still buffered and stops tracing (bounded: a dead collector cannot hold the exit). */
  shutdown(): Promise<void>;
}

/** Where the SDK's own warnings go (an exporter that cannot reach its collector, …). */
export interface TracingDiagnostics {
  warn(message: string): void;
  error(message: string): void;
}

/** How long one OTLP export may take (retries included) before it counts as failed. */
const EXPORT_TIMEOUT_MS = 3_000;

/** How long shutdown waits for the last export (longer than one, so its failure is reported). */
const SHUTDOWN_TIMEOUT_MS = 5_000;

const OFF: Tracing = { enabled: false, shutdown: async () => undefined };

let running: Tracing | undefined;

function exporterOf(config: TracingConfig): SpanExporter {
  switch (config.exporter) {
    case 'otlp':
      return new OTLPTraceExporter({
        url: config.otlpTracesUrl,
        timeoutMillis: EXPORT_TIMEOUT_MS,
      });
    case 'file':
      if (!config.file) throw new Error('tracing: the file exporter needs a file');
      return new OtlpJsonLinesExporter(appendingTo(config.file));
    case 'console':
      // stdout carries the JSON log lines; spans go to stderr so neither stream mixes formats.
      return new OtlpJsonLinesExporter((line) => process.stderr.write(line));
    case 'none':
      throw new Error('tracing: no exporter');
  }
}

function processorOf(config: TracingConfig, exporter: SpanExporter): SpanProcessor {
  // A collector is remote: batch. A file or stderr is local and cheap: write each span as it
  // ends, so a process killed without a graceful stop has still written its spans.
  return config.exporter === 'otlp'
    ? new BatchSpanProcessor({ exporter, exportTimeoutMillis: EXPORT_TIMEOUT_MS })
    : new SimpleSpanProcessor({ exporter });
}

function diagLogger(sink: TracingDiagnostics): DiagLogger {
  const ignore = () => undefined;
  return {
    error: (message, ...args) => sink.error(`opentelemetry: ${[message, ...args].join(' ')}`),
    warn: (message, ...args) => sink.warn(`opentelemetry: ${[message, ...args].join(' ')}`),
    info: ignore,
    debug: ignore,
    verbose: ignore,
  };
}

/**
 * Sets up OpenTelemetry tracing for this process from `config`: a tracer provider whose spans
 * carry `service.name` (`config.serviceName`, else `defaultServiceName`), the W3C trace-context
 * propagator, and an AsyncLocalStorage context manager so a span stays active across awaits.
 * With the exporter `none` (the default) it registers nothing: every `@opentelemetry/api` call
 * stays a no-op and tracing costs next to nothing. One process runs one tracing setup at a time.
 */
export function startTracing(
  config: TracingConfig,
  defaultServiceName: string,
  diagnostics?: TracingDiagnostics,
): Tracing {
  if (config.exporter === 'none') return OFF;
  if (running) throw new Error('tracing is already started in this process');
  const exporter = exporterOf(config);
  const provider = new TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName ?? defaultServiceName }),
    ),
    spanProcessors: [processorOf(config, exporter)],
  });
  if (diagnostics) diag.setLogger(diagLogger(diagnostics), DiagLogLevel.WARN);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);

  let stopping: Promise<void> | undefined;
  const tracing: Tracing = {
    enabled: true,
    shutdown() {
      stopping ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref();
        });
        const flushed = provider.shutdown().catch((error: unknown) => {
          diag.error(`spans not exported at shutdown: ${(error as Error).message ?? error}`);
        });
        await Promise.race([flushed, timeout]);
        clearTimeout(timer);
        trace.disable();
        propagation.disable();
        context.disable();
        diag.disable();
        running = undefined;
      })();
      return stopping;
    },
  };
  running = tracing;
  return tracing;
}
