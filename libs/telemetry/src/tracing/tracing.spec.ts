import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { TRACING_OFF } from '@nextx/config';
import { afterEach, describe, expect, it } from 'vitest';
import { logCorrelation, withRequestId } from '../context/request-context';
import { newTraceparent, readSpanFile } from '../testing/span-file';
import { correlationFrom, correlationHeaders } from './propagation';
import { inSpan } from './spans';
import { startTracing, type Tracing } from './tracing';

describe('startTracing', () => {
  let tracing: Tracing | undefined;
  const dirs: string[] = [];
  const spanFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextx-spans-'));
    dirs.push(dir);
    return join(dir, 'spans.jsonl');
  };

  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('off (the default): spans are no-ops, nothing is propagated, logs get no trace id', async () => {
    tracing = startTracing(TRACING_OFF, 'nextx-test');
    expect(tracing.enabled).toBe(false);
    const headers = await inSpan('work', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(logCorrelation()).toEqual({});
      return correlationHeaders();
    });
    expect(headers).toEqual({});
    expect(withRequestId('req-1', () => logCorrelation())).toEqual({ request_id: 'req-1' });
  });

  it('file: nested spans land in the file with their parents, one trace, the service name', async () => {
    const file = spanFile();
    tracing = startTracing({ ...TRACING_OFF, exporter: 'file', file }, 'nextx-test');
    const parent = newTraceparent();
    const incoming = correlationFrom({ traceparent: parent.traceparent, 'x-request-id': 'abc-1' });
    expect(incoming.requestId).toBe('abc-1');
    let sent: Record<string, string> = {};
    let logged = {};
    await context.with(incoming.context, () =>
      withRequestId(incoming.requestId, () =>
        inSpan('outer', { attributes: { n: 3 } }, async () => {
          await inSpan('inner', {}, async () => {
            await new Promise((r) => setTimeout(r, 5));
            logged = logCorrelation();
            sent = correlationHeaders();
          });
        }),
      ),
    );
    await expect(
      inSpan('failing', {}, async () => {
        throw new RangeError('bad thing');
      }),
    ).rejects.toThrow('bad thing');
    const controller = new AbortController();
    controller.abort(new Error('client went away'));
    await expect(
      inSpan('cancelled', { signal: controller.signal }, async () => {
        controller.signal.throwIfAborted();
      }),
    ).rejects.toThrow('client went away');
    await tracing.shutdown();

    const spans = readSpanFile(file);
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    expect(spans.map((s) => s.name)).toEqual(['inner', 'outer', 'failing', 'cancelled']);
    expect(byName['outer']).toMatchObject({
      traceId: parent.traceId,
      parentSpanId: parent.spanId,
      service: 'nextx-test',
      attributes: { n: 3 },
      status: 'UNSET',
    });
    expect(byName['inner']).toMatchObject({
      traceId: parent.traceId,
      parentSpanId: byName['outer']!.spanId,
    });
    expect(byName['inner']!.endMs - byName['inner']!.startMs).toBeGreaterThanOrEqual(4);
    // What a Kafka message or an outgoing call carries: the inner span as the parent, and the id.
    expect(sent).toEqual({
      traceparent: `00-${parent.traceId}-${byName['inner']!.spanId}-01`,
      'x-request-id': 'abc-1',
    });
    expect(logged).toEqual({
      request_id: 'abc-1',
      trace_id: parent.traceId,
      span_id: byName['inner']!.spanId,
    });
    expect(byName['failing']).toMatchObject({ status: 'ERROR', events: ['exception'] });
    expect(byName['failing']!.traceId).not.toBe(parent.traceId);
    expect(byName['cancelled']).toMatchObject({ status: 'UNSET', events: ['cancelled'] });
    // Stopped: the API is a no-op again.
    expect(trace.getTracer('x').startSpan('after').isRecording()).toBe(false);
  });

  it('refuses a second setup while one runs; a malformed request id is replaced', () => {
    const file = spanFile();
    tracing = startTracing({ ...TRACING_OFF, exporter: 'file', file }, 'nextx-test');
    expect(() => startTracing({ ...TRACING_OFF, exporter: 'file', file }, 'again')).toThrow(
      'already started',
    );
    const long = correlationFrom({ 'x-request-id': 'x'.repeat(65) }).requestId;
    const spaced = correlationFrom({ 'x-request-id': 'a b' }).requestId;
    for (const id of [long, spaced]) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(correlationFrom({ traceparent: 'garbage' }).context).toBe(context.active());
  });

  it('otlp: batches spans to the collector over OTLP/HTTP and sends what is left at shutdown', async () => {
    const received: { url: string; type: string; body: string }[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ url: req.url ?? '', type: req.headers['content-type'] ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    try {
      tracing = startTracing(
        { ...TRACING_OFF, exporter: 'otlp', otlpTracesUrl: `http://127.0.0.1:${port}/v1/traces` },
        'nextx-test',
      );
      await inSpan('batched', {}, async () => undefined);
      // Batched: nothing is sent before the batch delay, unless the process stops.
      expect(received).toHaveLength(0);
      await tracing.shutdown();
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ url: '/v1/traces', type: 'application/json' });
      const request = JSON.parse(received[0]!.body);
      expect(request.resourceSpans[0].scopeSpans[0].spans[0].name).toBe('batched');
    } finally {
      collector.close();
    }
  });

  it('otlp: a collector that is down neither fails the work nor holds the shutdown', async () => {
    const warnings: string[] = [];
    tracing = startTracing(
      { ...TRACING_OFF, exporter: 'otlp', otlpTracesUrl: 'http://127.0.0.1:9/v1/traces' },
      'nextx-test',
      { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    );
    await expect(inSpan('lost', {}, async () => 42)).resolves.toBe(42);
    const started = performance.now();
    await tracing.shutdown();
    expect(performance.now() - started).toBeLessThan(6_000);
    expect(warnings.join('\n')).toMatch(/spans not exported at shutdown/);
  });
});
