import { workerData } from 'node:worker_threads';
import { InvalidArgumentError } from '@nextx/engine';
import { ModelRepository } from '../repository/model-repository';
import { postWorkerEvent, serveTasks } from '../worker/worker-host';
import type { Task } from '../worker/worker-protocol';

/** The test worker's tasks. */
export interface ClassifierLoopTasks {
  readonly classifyLoop: Task<
    { steps: number; batch: number },
    { step: number },
    { steps: number; logits: Float32Array }
  >;
  readonly crash: Task<{ code: number }, never, never>;
  readonly fail: Task<Record<string, never>, never, never>;
  readonly refuse: Task<{ field: string }, never, never>;
  readonly wait: Task<{ ms: number }, never, { waited: number }>;
}

/** Test worker: runs the reference classifier in a loop, one progress event per run. */
const repository = new ModelRepository((workerData as { modelsDir: string }).modelsDir, undefined, {
  onLoad: (load) => postWorkerEvent({ kind: 'model-loaded', ...load }),
});

serveTasks<ClassifierLoopTasks>({
  async classifyLoop(payload, context) {
    const model = await repository.load('mnist-classifier');
    const graph = model.graph('classifier');
    const image = {
      data: new Float32Array(payload.batch * 32 * 32).fill(0.5),
      dims: [payload.batch, 1, 32, 32],
    };
    let step = 0;
    for (; step < payload.steps; step++) {
      if (context.signal.aborted) break;
      await graph.run({ image });
      context.progress({ step: step + 1 });
    }
    return { steps: step, logits: new Float32Array(10) };
  },
  async crash(payload) {
    // Ends this worker thread, not the process: what a native crash in a session looks like to the pool.
    process.exit(payload.code);
  },
  async fail() {
    throw Object.assign(new RangeError('bad thing'), { field: 'x' });
  },
  async refuse(payload) {
    throw new InvalidArgumentError(payload.field, 'a model with a draft', 'has none');
  },
  async wait(payload) {
    await new Promise((resolve) => setTimeout(resolve, payload.ms));
    return { waited: payload.ms };
  },
});
