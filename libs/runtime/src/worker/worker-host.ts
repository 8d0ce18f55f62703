import { parentPort } from 'node:worker_threads';
import {
  serializeError,
  type FromWorker,
  type TaskKind,
  type TaskMap,
  type ToWorker,
  type WorkerEvent,
} from './worker-protocol';

/** What a task handler gets besides its payload. */
export interface TaskContext<Progress = unknown> {
  /** Sends a progress event to the caller. */
  progress(event: Progress): void;
  /** Fires when the caller cancels (seen at the task's `await` points). */
  readonly signal: AbortSignal;
  /**
   * Whether the caller has cancelled, read from memory shared with the main thread: a
   * synchronous loop (a model fit that never awaits) can poll it, where `signal` would only
   * fire once the loop gives the event loop back.
   */
  cancelled(): boolean;
}

/** The handlers of a worker, one per task kind of the map `M`, typed from it. */
export type TaskHandlers<M extends TaskMap<M>> = {
  readonly [K in TaskKind<M>]: (
    payload: M[K]['payload'],
    context: TaskContext<M[K]['progress']>,
  ) => Promise<M[K]['result']>;
};

/**
 * The worker side of {@link WorkerPool}: runs tasks by kind, streams their progress, and
 * aborts a task's signal when the caller cancels. Tasks interleave at their `await` points, so
 * a cancel arrives between two model steps.
 */
export function serveTasks<M extends TaskMap<M>>(handlers: TaskHandlers<M>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks must run inside a worker thread');
  const running = new Map<number, AbortController>();
  const send = (message: FromWorker, transfer: ArrayBuffer[] = []) =>
    port.postMessage(message, transfer);
  port.on('message', (message: ToWorker) => {
    if (message.type === 'abort') {
      running.get(message.id)?.abort();
      return;
    }
    // The kind comes from another thread: look it up as a plain key, not as a typed one.
    const handler = Object.hasOwn(handlers, message.kind)
      ? (handlers as Record<string, (payload: unknown, context: TaskContext) => Promise<unknown>>)[
          message.kind
        ]
      : undefined;
    const controller = new AbortController();
    running.set(message.id, controller);
    const cancelFlag = new Int32Array(message.cancelFlag);
    const context: TaskContext = {
      progress: (event) => send({ type: 'progress', id: message.id, event }),
      signal: controller.signal,
      cancelled: () => controller.signal.aborted || Atomics.load(cancelFlag, 0) === 1,
    };
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no handler for task kind "${message.kind}"`);
        return handler(message.payload, context);
      })
      .then(
        (result) => send({ type: 'result', id: message.id, result }, transferablesOf(result)),
        (error: unknown) => send({ type: 'error', id: message.id, error: serializeError(error) }),
      )
      .finally(() => running.delete(message.id));
  });
  send({ type: 'ready' });
}

/**
 * Sends `event` to the pool that runs this thread ({@link WorkerPool.onEvent}); a no-op outside a
 * worker thread (a repository used by a tool on its main thread).
 */
export function postWorkerEvent(event: WorkerEvent): void {
  parentPort?.postMessage({ type: 'event', event } satisfies FromWorker);
}

/** ArrayBuffers inside typed arrays of a result, moved (not copied) to the main thread. */
function transferablesOf(value: unknown, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && value.byteLength === value.buffer.byteLength)
      found.add(value.buffer);
  } else if (Array.isArray(value)) {
    for (const item of value) transferablesOf(item, found);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) transferablesOf(item, found);
  }
  return [...found];
}
