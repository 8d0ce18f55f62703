import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { TypedGrpcClient } from '@nextx/grpc';
import { freePort, spawnService, workspaceRoot, type SpawnedService } from '@nextx/grpc/testing';
import { deleteTestTopics, testEnv, until } from '@nextx/jobs/testing';
import { commonJob, PROTO_FILES, type video } from '@nextx/proto';
import { newTraceparent, readSpanFile, type ExportedSpan } from '@nextx/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, WorkerProcess, requireVideoModel } from './support';

const SUBMIT = 'nextx.video.v1.VideoGeneration/SubmitVideoJob';
const CHUNKS = 3;

describe('one trace from a SubmitVideoJob call into the worker (spans exported to a file, real broker, real model)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextx-trace-'));
  const spanFile = join(dir, 'spans.jsonl');
  const env = {
    ...testEnv('video-trace'),
    // Both processes append to one file: one line per span, as it ends.
    OTEL_TRACES_EXPORTER: 'file',
    OTEL_TRACES_FILE: spanFile,
  } as Record<string, string>;
  let service: SpawnedService;
  let worker: WorkerProcess;
  let client: TypedGrpcClient<video.VideoGenerationClient>;
  let workerMetrics: string;

  beforeAll(async () => {
    requireVideoModel();
    const port = await freePort();
    const metricsPort = await freePort();
    workerMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
    service = await spawnService(
      join(workspaceRoot(), 'apps/video-service/src/main.ts'),
      { ...env, GRPC_PORT: String(port), METRICS_PORT: '0' },
      { address: `127.0.0.1:${port}`, timeoutMs: 60_000 },
    );
    worker = await WorkerProcess.start({ ...env, METRICS_PORT: String(metricsPort) });
    client = new TypedGrpcClient(
      `127.0.0.1:${port}`,
      PROTO_FILES.video,
      'nextx.video.v1.VideoGeneration',
    );
  }, 150_000);

  afterAll(async () => {
    client?.close();
    worker?.kill('SIGTERM');
    service?.process.kill('SIGTERM');
    await Promise.all([worker?.exited, service?.exited]);
    await deleteTestTopics(env);
    rmSync(env['JOBS_CHUNK_DIR']!, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('the call span, the Kafka publish, the job and its chunk spans share the trace id, each the child of the one before', async () => {
    const parent = newTraceparent();
    const metadata = new Metadata();
    metadata.set('traceparent', parent.traceparent);
    metadata.set('x-request-id', 'trace-e2e-1');
    const { job } = await client.unary(
      'submitVideoJob',
      {
        idempotencyKey: 'traced-clip',
        clip: {
          model: { name: MODEL, version: '' },
          digits: [2, 5],
          motions: [],
          frames: 6,
          fps: 8,
          seed: 4,
          sampling: {},
        },
        chunkFrames: 6 / CHUNKS,
        outputFormat: 'gif',
      },
      { metadata },
    );
    const jobId = job!.jobId;
    await until(
      `job ${jobId} SUCCEEDED`,
      async () => {
        const { job: now } = await client.unary('getJob', { jobId });
        if (now!.state === commonJob.JobState.JOB_STATE_FAILED) throw new Error(now!.error);
        return now!.state === commonJob.JobState.JOB_STATE_SUCCEEDED;
      },
      90_000,
    );
    // The job span ends once the final status is written, just after GetJob can see it.
    await until(
      'the job span in the file',
      () => readSpanFile(spanFile).some((s) => s.kind === 'CONSUMER' && s.endMs > 0),
      10_000,
    );

    const trace = readSpanFile(spanFile).filter((s) => s.traceId === parent.traceId);
    const one = (predicate: (s: ExportedSpan) => boolean, what: string) => {
      const found = trace.filter(predicate);
      expect(found, what).toHaveLength(1);
      return found[0]!;
    };
    const call = one((s) => s.name === SUBMIT, 'the SubmitVideoJob span');
    expect(call).toMatchObject({
      kind: 'SERVER',
      service: 'nextx-video',
      parentSpanId: parent.spanId,
      attributes: { 'rpc.status_code': 'OK', 'nextx.request_id': 'trace-e2e-1' },
    });
    const send = one((s) => s.kind === 'PRODUCER', 'the Kafka publish span');
    expect(send).toMatchObject({
      name: `send ${env['JOBS_TOPIC']}`,
      service: 'nextx-video',
      parentSpanId: call.spanId,
      attributes: { 'messaging.system': 'kafka', 'nextx.job.id': jobId },
    });
    const process = one((s) => s.kind === 'CONSUMER', "the worker's job span");
    expect(process).toMatchObject({
      name: `process ${env['JOBS_TOPIC']}`,
      service: 'nextx-video-worker',
      parentSpanId: send.spanId,
      status: 'UNSET',
      attributes: {
        'nextx.job.id': jobId,
        'nextx.job.kind': 'video',
        'nextx.job.outcome': 'succeeded',
        'nextx.worker.id': worker.workerId,
      },
    });
    const chunks = trace
      .filter((s) => s.name === 'video.chunk')
      .sort((a, b) => a.startMs - b.startMs);
    expect(chunks.map((c) => c.attributes['nextx.chunk.index'])).toEqual([0, 1, 2]);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ service: 'nextx-video-worker', parentSpanId: process.spanId });
      expect(chunk.attributes).toMatchObject({ 'nextx.chunk.frames': 2, 'nextx.job.id': jobId });
      expect(chunk.attributes['nextx.chunk.tokens']).toBeGreaterThan(0);
    }
    const render = one((s) => s.name === 'video.render', 'the render span');
    expect(render).toMatchObject({
      parentSpanId: process.spanId,
      attributes: { 'nextx.clip.frames': 6 },
    });
    // Every span of the trace is one of these: nothing of the call went to another trace.
    expect(trace).toHaveLength(3 + CHUNKS + 1);
    // In time order along the chain.
    expect(send.startMs).toBeGreaterThanOrEqual(call.startMs);
    expect(process.startMs).toBeGreaterThanOrEqual(send.startMs);
    expect(chunks[0]!.startMs).toBeGreaterThanOrEqual(process.startMs);

    // The worker's log lines of the job carry the submitting call's request id and trace id.
    const stored = worker.logs('chunk stored').filter((l) => l['jobId'] === jobId);
    expect(stored).toHaveLength(CHUNKS);
    for (const line of stored)
      expect(line).toMatchObject({ request_id: 'trace-e2e-1', trace_id: parent.traceId });

    // The generation thread's model load reached the worker's /metrics.
    const metrics = await (await fetch(workerMetrics)).text();
    expect(metrics).toMatch(
      new RegExp(`^nextx_model_load_seconds_count\\{[^}]*model="${MODEL}"[^}]*\\} 1$`, 'm'),
    );
  });
});
