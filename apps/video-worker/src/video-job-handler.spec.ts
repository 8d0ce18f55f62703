import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  contiguousChunks,
  FsChunkStore,
  NonRetriableJobError,
  type ChunkStore,
  type JobContext,
} from '@nextx/jobs';
import type { jobs } from '@nextx/proto';
import { bundledModelsDir, ModelRepository } from '@nextx/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeChunk } from './chunk-codec';
import { ThreadedVideoEngine } from './threaded-video-engine';
import { createVideoJobHandler } from './video-job-handler';
import { videoJobParams } from './video-job-spec';

const MODEL = 'nbp-mmnist';

function spec(frames: number, chunkFrames: number, digits = [2, 5], model = MODEL): jobs.JobSpec {
  return {
    jobId: 'job-handler-spec',
    idempotencyKey: 'handler-spec',
    kind: 'video',
    submittedAtMs: 1,
    params: videoJobParams.pack({
      clip: {
        model: { name: model, version: '' },
        digits,
        motions: [],
        frames,
        fps: 8,
        seed: 31,
        sampling: {},
      },
      chunkFrames,
      outputFormat: 'gif',
    }),
  };
}

/** The JobContext a JobWorker hands a handler, over a real chunk store (no Kafka: statuses are recorded). */
function context(job: jobs.JobSpec, chunks: ChunkStore, nextChunk: number, signal: AbortSignal) {
  const checkpoints: number[] = [];
  const progress: [number, number][] = [];
  const ctx: JobContext = {
    spec: job,
    attempt: 0,
    nextChunk,
    lastCheckpoint: undefined,
    signal,
    workerId: 'handler-spec',
    chunks,
    async checkpoint(index, bytes) {
      signal.throwIfAborted();
      const uri = await chunks.put(job.jobId, index, bytes);
      checkpoints.push(index);
      signal.throwIfAborted();
      return { jobId: job.jobId, chunkIndex: index, uri, sizeBytes: bytes.byteLength };
    },
    async progress(done, total) {
      signal.throwIfAborted();
      progress.push([done, total]);
    },
  };
  return { ctx, checkpoints, progress };
}

const store = () => new FsChunkStore(mkdtempSync(join(tmpdir(), 'video-handler-')));

describe('video job handler (real model on a generation thread, filesystem chunk store)', () => {
  let engine: ThreadedVideoEngine;
  let handler: ReturnType<typeof createVideoJobHandler>;

  beforeAll(async () => {
    engine = new ThreadedVideoEngine({
      modelsDir: bundledModelsDir(),
      threads: 1,
      maxFrames: 4096,
    });
    await engine.ready();
    handler = createVideoJobHandler({
      repository: new ModelRepository(bundledModelsDir()),
      engine,
      limits: { maxFrames: 4096, mp4: false },
    });
  });
  afterAll(async () => {
    await engine?.close();
  });

  for (const chunkFrames of [1, 3]) {
    it(`chunks of ${chunkFrames}: a job stopped after chunk 2 and resumed stores exactly the chunks and clip of an uninterrupted run`, async () => {
      const job = spec(10, chunkFrames);
      const chunkCount = Math.ceil(10 / chunkFrames);
      const whole = store();
      const straight = context(job, whole, 0, new AbortController().signal);
      const wholeResult = await handler(straight.ctx);
      expect(straight.checkpoints).toEqual(Array.from({ length: chunkCount }, (_, i) => i));
      expect(straight.progress).toEqual([[0, chunkCount]]);

      // First attempt: the worker goes away right after storing chunk 2.
      const resumed = store();
      const stop = new AbortController();
      const first = context(job, resumed, 0, stop.signal);
      const checkpoint = first.ctx.checkpoint;
      first.ctx.checkpoint = async (index, bytes) => {
        const stored = await checkpoint(index, bytes);
        if (index === 2) stop.abort(new Error('worker lost'));
        return stored;
      };
      await expect(handler(first.ctx)).rejects.toThrow('worker lost');
      expect(first.checkpoints).toEqual([0, 1, 2]);
      const nextChunk = await contiguousChunks(resumed, job.jobId);
      expect(nextChunk).toBe(3);
      const second = context(job, resumed, nextChunk, new AbortController().signal);
      const resumedResult = await handler(second.ctx);
      expect(second.checkpoints).toEqual(Array.from({ length: chunkCount - 3 }, (_, i) => i + 3));
      expect(second.progress).toEqual([[3, chunkCount]]);

      for (let k = 0; k < chunkCount; k++) {
        const a = (await whole.get(job.jobId, k))!;
        const b = (await resumed.get(job.jobId, k))!;
        expect(Buffer.from(b).equals(Buffer.from(a)), `chunk ${k} bytes`).toBe(true);
        expect(decodeChunk(a).frames).toBe(Math.min(chunkFrames, 10 - k * chunkFrames));
      }
      const clipA = await whole.getOutput(job.jobId, 'clip.gif');
      const clipB = await resumed.getOutput(job.jobId, 'clip.gif');
      expect(clipA!.length).toBeGreaterThan(0);
      expect(Buffer.from(clipB!).equals(Buffer.from(clipA!))).toBe(true);
      expect(wholeResult?.outputUri).toMatch(/clip\.gif$/);
      expect(resumedResult?.outputUri).toMatch(/clip\.gif$/);
    });
  }

  it('an abort mid-chunk stops the chunk between two frames; nothing is stored for it', async () => {
    const job = spec(4000, 4000);
    const cancel = new AbortController();
    const run = context(job, store(), 0, cancel.signal);
    const started = performance.now();
    setTimeout(() => cancel.abort(new Error('cancelled')), 300);
    await expect(handler(run.ctx)).rejects.toThrow();
    // 4000 frames take tens of seconds; the abort lands within a frame or so.
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(run.checkpoints).toEqual([]);
  });

  it('a spec no attempt can run fails with NonRetriableJobError naming the field', async () => {
    const run = (job: jobs.JobSpec) =>
      handler(context(job, store(), 0, new AbortController().signal).ctx);
    await expect(run(spec(4, 0, [1, 2, 3]))).rejects.toThrow(NonRetriableJobError);
    await expect(run(spec(4, 0, [11]))).rejects.toThrow(/^video\.clip\.digits\[0\]: got 11/);
    await expect(run({ ...spec(4, 0), kind: 'audio' })).rejects.toThrow(/^kind: got "audio"/);
    await expect(run(spec(4, 0, [2, 5], 'var-mnist'))).rejects.toThrow(
      /^video\.clip\.model: var-mnist is var/,
    );
  });
});
