import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * Writes finished spans as OTLP/JSON lines: one `ExportTraceServiceRequest` a line, the format
 * of the OpenTelemetry Collector's file exporter, which its `otlpjsonfile` receiver (and any
 * OTLP/JSON reader) reads back. `write` is synchronous, so a span is on its way out when `end()`
 * returns and a process that exits right after loses nothing.
 */
export class OtlpJsonLinesExporter implements SpanExporter {
  private readonly decoder = new TextDecoder();

  constructor(private readonly write: (line: string) => void) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      const request = JsonTraceSerializer.serializeRequest(spans);
      if (request) this.write(`${this.decoder.decode(request)}\n`);
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  /** Nothing is buffered: every line is written by `export`. */
  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing is buffered: every line is written by `export`. */
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Appends to `path` (its folder created if needed). Each line is one `write(2)` on a file opened
 * for append, so several processes can share one file without cutting each other's lines.
 */
export function appendingTo(path: string): (line: string) => void {
  mkdirSync(dirname(path), { recursive: true });
  return (line) => appendFileSync(path, line);
}
