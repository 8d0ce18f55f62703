import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Metadata, status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import {
  JsonLogger,
  startGrpcService,
  TypedGrpcClient,
  type RunningGrpcService,
} from '@nextx/grpc';
import { freePort } from '@nextx/grpc/testing';
import { until } from '@nextx/jobs/testing';
import { image, PROTO_FILES } from '@nextx/proto';
import { newTraceparent, readSpanFile, type ExportedSpan } from '@nextx/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImageConfig } from '../src/config';
import { imageServiceDefinition } from '../src/image.module';

type Client = TypedGrpcClient<image.ImageGenerationClient>;

const GENERATE = 'nextx.image.v1.ImageGeneration/Generate';
const GET_MODEL = 'nextx.image.v1.ImageGeneration/GetModel';

/** One var-mnist image with `metadata`; resolves with the response headers and the messages. */
async function generate(client: Client, metadata: Metadata) {
  const call = client.stream(
    'generate',
    {
      model: { name: 'var-mnist', version: '' },
      classLabel: 4,
      numImages: 1,
      seed: 3,
      sampling: {},
      speculative: false,
      lantern: false,
      jacobi: false,
      draftHeads: false,
    },
    { metadata },
  );
  const headers = new Promise<Metadata>((resolve) =>
    (call as unknown as ClientReadableStream<unknown>).once('metadata', resolve),
  );
  const messages: image.GenerateResponse[] = [];
  for await (const m of call) messages.push(m);
  return { headers: await headers, messages };
}

describe('image service observability: call and generation spans, request ids in logs, model load time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextx-obs-'));
  const spanFile = join(dir, 'spans.jsonl');
  const logLines: Record<string, unknown>[] = [];
  let service: RunningGrpcService;
  let client: Client;
  let metricsUrl: string;

  /** The spans exported so far, once `predicate` holds for them (spans end just after the reply). */
  const spansWhen = async (predicate: (spans: ExportedSpan[]) => boolean) => {
    await until('spans in the file', () => predicate(readSpanFile(spanFile)), 10_000);
    return readSpanFile(spanFile);
  };

  beforeAll(async () => {
    const logs = new PassThrough();
    logs.on('data', (chunk) => {
      for (const line of String(chunk).split('\n'))
        if (line.trim()) logLines.push(JSON.parse(line));
    });
    const config = loadImageConfig({
      GRPC_PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
      OTEL_TRACES_EXPORTER: 'file',
      OTEL_TRACES_FILE: spanFile,
    });
    service = await startGrpcService(imageServiceDefinition(config.image), config.service, {
      logger: new JsonLogger('image', 'info', logs),
      handleSignals: false,
    });
    metricsUrl = `http://127.0.0.1:${service.metricsPort}/metrics`;
    client = new TypedGrpcClient(
      service.address,
      PROTO_FILES.image,
      'nextx.image.v1.ImageGeneration',
    );
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a call with traceparent and x-request-id: a SERVER span in that trace, a generation span under it, the id in the logs and the response', async () => {
    const parent = newTraceparent();
    const metadata = new Metadata();
    metadata.set('traceparent', parent.traceparent);
    metadata.set('x-request-id', 'obs-test-1');
    const { headers, messages } = await generate(client, metadata);
    expect(messages.at(-1)?.images?.png).toHaveLength(1);
    expect(headers.get('x-request-id')).toEqual(['obs-test-1']);

    const spans = await spansWhen((all) => all.some((s) => s.name === GENERATE));
    const call = spans.find((s) => s.name === GENERATE)!;
    expect(call).toMatchObject({
      kind: 'SERVER',
      traceId: parent.traceId,
      parentSpanId: parent.spanId,
      service: 'nextx-image',
      status: 'UNSET',
      attributes: {
        'rpc.system.name': 'grpc',
        'rpc.method': GENERATE,
        'rpc.status_code': 'OK',
        'nextx.request_id': 'obs-test-1',
      },
    });
    const generation = spans.find((s) => s.parentSpanId === call.spanId)!;
    expect(generation).toMatchObject({
      name: 'generate var-mnist',
      kind: 'INTERNAL',
      traceId: parent.traceId,
      events: ['admitted'],
      attributes: {
        'nextx.generation.model': 'var-mnist',
        'nextx.generation.task': 'generate',
        'nextx.generation.outcome': 'ok',
      },
    });
    const progress = messages.filter((m) => m.progress).length;
    expect(generation.attributes['nextx.generation.progress_events']).toBe(progress);
    expect(generation.attributes['nextx.generation.steps']).toBeGreaterThan(0);
    expect(generation.startMs).toBeGreaterThanOrEqual(call.startMs);
    expect(generation.endMs).toBeLessThanOrEqual(call.endMs);

    const lines = logLines.filter((l) => l['request_id'] === 'obs-test-1');
    expect(lines.map((l) => l['msg'])).toContain('call');
    for (const line of lines) expect(line['trace_id']).toBe(parent.traceId);
  });

  it('no or a malformed x-request-id: a generated one, in the response, the span and the log line; a failed call echoes it in its trailers', async () => {
    const { headers } = await generate(client, new Metadata());
    const generated = String(headers.get('x-request-id')[0]);
    expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const bad = new Metadata();
    bad.set('x-request-id', 'has spaces "and quotes"');
    const failure = (await client
      .unary('getModel', { model: { name: 'no-such-model', version: '' } }, { metadata: bad })
      .catch((e: ServiceError) => e)) as ServiceError;
    expect(failure.code).toBe(status.NOT_FOUND);
    const replaced = String(failure.metadata.get('x-request-id')[0]);
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);

    const spans = await spansWhen((all) =>
      all.some((s) => s.attributes['nextx.request_id'] === replaced),
    );
    expect(spans.find((s) => s.attributes['nextx.request_id'] === generated)?.name).toBe(GENERATE);
    // NOT_FOUND is the client's mistake, not the server's: recorded, but not an error span.
    expect(spans.find((s) => s.attributes['nextx.request_id'] === replaced)).toMatchObject({
      name: GET_MODEL,
      parentSpanId: '',
      status: 'UNSET',
      attributes: { 'rpc.status_code': 'NOT_FOUND' },
    });
    const calls = logLines.filter((l) => l['msg'] === 'call');
    expect(calls.find((l) => l['request_id'] === generated)).toMatchObject({ code: 'OK' });
    expect(calls.find((l) => l['request_id'] === replaced)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('/metrics reports nextx_model_load_seconds for the model the worker thread loaded', async () => {
    const text = await (await fetch(metricsUrl)).text();
    const count = /^nextx_model_load_seconds_count\{[^}]*model="var-mnist"[^}]*\} (\d+)$/m.exec(
      text,
    );
    const sum = /^nextx_model_load_seconds_sum\{[^}]*model="var-mnist"[^}]*\} ([\d.e-]+)$/m.exec(
      text,
    );
    expect(Number(count?.[1])).toBe(1);
    expect(Number(sum?.[1])).toBeGreaterThan(0);
    expect(text).toContain('# HELP nextx_model_load_seconds');
  });
});
