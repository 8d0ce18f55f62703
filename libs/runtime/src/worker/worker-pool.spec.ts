import { InvalidArgumentError } from '@nextx/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceModelsDir } from '../testing/reference-models';
import type { ClassifierLoopTasks } from '../testing/classifier-loop.worker';
import { WorkerPool, workerEntry } from './worker-pool';
import type { WorkerEvent } from './worker-protocol';

describe('WorkerPool', () => {
  let pool: WorkerPool<ClassifierLoopTasks>;

  beforeAll(async () => {
    pool = new WorkerPool(
      workerEntry(new URL('../testing/', import.meta.url).href, 'classifier-loop.worker'),
      1,
      {
        modelsDir: referenceModelsDir(),
      },
    );
    await pool.ready();
  });

  afterAll(async () => {
    await pool?.close();
  });

  it('keeps the main thread responsive (timer lag < 50 ms) while a worker computes', async () => {
    let last = performance.now();
    let worstLag = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worstLag = Math.max(worstLag, now - last - 5);
      last = now;
    }, 5);
    const progress: number[] = [];
    const started = performance.now();
    const result = await pool.run(
      'classifyLoop',
      { steps: 60, batch: 32 },
      { onProgress: (e) => progress.push(e.step) },
    );
    clearInterval(timer);
    const busyMs = performance.now() - started;
    expect(result.steps).toBe(60);
    expect(result.logits).toBeInstanceOf(Float32Array);
    expect(progress).toHaveLength(60);
    // The loop must have been long enough for the lag figure to mean something.
    expect(busyMs).toBeGreaterThan(200);
    expect(worstLag).toBeLessThan(50);
  });

  it('stops a task within one step of the cancel', async () => {
    const controller = new AbortController();
    let seen = 0;
    let atAbort = -1;
    const result = await pool.run(
      'classifyLoop',
      { steps: 10_000, batch: 8 },
      {
        signal: controller.signal,
        onProgress: (e) => {
          seen = e.step;
          if (e.step === 20) {
            atAbort = seen;
            controller.abort();
          }
        },
      },
    );
    expect(atAbort).toBe(20);
    // Messages in flight when the abort was posted may still arrive: at most one more step runs
    // after the worker sees the abort, plus the progress events already queued.
    expect(result.steps).toBeLessThan(10_000);
    expect(result.steps - atAbort).toBeLessThanOrEqual(3);
  });

  it('rebuilds errors with their name, message and fields', async () => {
    await expect(pool.run('fail', {})).rejects.toMatchObject({
      name: 'RangeError',
      message: 'bad thing',
      field: 'x',
    });
  });

  it("rebuilds the engine's request errors as their own classes (so they map to their gRPC status)", async () => {
    const error = await pool.run('refuse', { field: 'speculative' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ field: 'speculative', limit: 'a model with a draft' });
  });

  it('refuses tasks beyond its bound instead of queueing them without end', async () => {
    const small = new WorkerPool<ClassifierLoopTasks>(
      workerEntry(new URL('../testing/', import.meta.url).href, 'classifier-loop.worker'),
      1,
      { modelsDir: referenceModelsDir() },
      2,
    );
    try {
      const held = [1, 2].map(() => small.run('wait', { ms: 200 }));
      await expect(small.run('wait', { ms: 1 })).rejects.toMatchObject({
        name: 'ResourceExhaustedError',
        limit: '2 tasks',
      });
      await Promise.all(held);
      await expect(small.run('wait', { ms: 1 })).resolves.toEqual({ waited: 1 });
    } finally {
      await small.close();
    }
  });

  it('hands the model loads a worker reports to the main thread, once per model loaded', async () => {
    const fresh = new WorkerPool<ClassifierLoopTasks>(
      workerEntry(new URL('../testing/', import.meta.url).href, 'classifier-loop.worker'),
      1,
      { modelsDir: referenceModelsDir() },
    );
    const events: WorkerEvent[] = [];
    fresh.onEvent((event) => events.push(event));
    try {
      await fresh.run('classifyLoop', { steps: 1, batch: 1 });
      await fresh.run('classifyLoop', { steps: 1, batch: 1 });
    } finally {
      await fresh.close();
    }
    expect(events).toEqual([
      { kind: 'model-loaded', model: 'mnist-classifier', version: '', seconds: expect.any(Number) },
    ]);
    expect(events[0]!.seconds).toBeGreaterThan(0);
  });

  it('fails the task of a worker that dies and serves the next task on a replacement', async () => {
    await expect(pool.run('crash', { code: 7 })).rejects.toThrow('worker exited with code 7');
    const after = await pool.run('classifyLoop', { steps: 2, batch: 1 });
    expect(after.steps).toBe(2);
    expect(pool.load()).toEqual([0]);
  });
});
