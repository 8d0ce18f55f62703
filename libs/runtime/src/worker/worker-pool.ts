import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError, NotFoundError, ResourceExhaustedError } from '@nextx/engine';
import type {
  FromWorker,
  SerializedError,
  TaskKind,
  TaskMap,
  ToWorker,
  WorkerEvent,
} from './worker-protocol';

/** Options of one task run. */
export interface RunOptions<P> {
  readonly onProgress?: (event: P) => void;
  readonly signal?: AbortSignal;
}

/** An error thrown inside a worker, rebuilt on the main thread with its name and fields. */
export class WorkerTaskError extends Error {
  constructor(serialized: SerializedError) {
    super(serialized.message);
    this.name = serialized.name;
    Object.assign(this, serialized.fields);
  }
}

/**
 * The main-thread error for one a task threw. Structured cloning loses class identity, so the
 * engine's request errors are rebuilt as their own classes: a field error found inside a
 * worker (a model without a draft, a prompt too long) still reaches the client as
 * INVALID_ARGUMENT / NOT_FOUND / RESOURCE_EXHAUSTED, not INTERNAL.
 */
export function rebuildTaskError(serialized: SerializedError): Error {
  const f = serialized.fields as Record<string, unknown>;
  const text = (key: string) => String(f[key] ?? '');
  switch (serialized.name) {
    case 'InvalidArgumentError':
      return new InvalidArgumentError(text('field'), text('limit'), text('detail'));
    case 'NotFoundError':
      return new NotFoundError(text('kind'), text('key'));
    case 'ResourceExhaustedError':
      return new ResourceExhaustedError(
        text('resource'),
        text('limit'),
        typeof f['retryAfterMs'] === 'number' ? f['retryAfterMs'] : undefined,
      );
    default:
      return new WorkerTaskError(serialized);
  }
}

/** Tasks a pool holds at once unless told otherwise. */
const DEFAULT_MAX_TASKS = 1024;

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly onProgress?: (event: unknown) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  readonly pending: Map<number, Pending>;
}

/**
 * Where a worker entry lives: the bundled `<name>.mjs` next to the caller in production, or the
 * `<name>.ts` source run through tsx in development and tests.
 */
export function workerEntry(callerUrl: string, name: string): WorkerEntry {
  const bundled = new URL(`./${name}.mjs`, callerUrl);
  if (existsSync(fileURLToPath(bundled))) return { url: bundled, env: process.env };
  // The ESM build of tsx's API (require.resolve would pick the CommonJS one).
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/index\.cjs$/, 'index.mjs'),
  ).href;
  // tsx must see the root tsconfig (path aliases, decorators) whatever the current directory.
  let dir = dirname(fileURLToPath(callerUrl));
  while (!existsSync(join(dir, 'nx.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const source = new URL(`./${name}.ts`, callerUrl);
  // Node 20 workers do not take `--import` loaders from execArgv, so a small bootstrap registers
  // tsx inside the worker and then imports the TypeScript entry.
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register({ tsconfig: ${JSON.stringify(join(dir, 'tsconfig.json'))} }); return import(${JSON.stringify(source.href)}); })`;
  return { url: source, bootstrap, env: process.env };
}

/** A worker script and how to start it. */
export interface WorkerEntry {
  readonly url: URL;
  /** Script evaluated instead of `url` (development: registers tsx, then imports `url`). */
  readonly bootstrap?: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Worker threads that run model sessions and generation loops, so the main thread only does
 * I/O (onnxruntime-node's `run()` computes synchronously on its calling thread). Tasks go to the
 * worker with the fewest running tasks; progress streams back; a signal cancels the task.
 */
export class WorkerPool<M extends TaskMap<M>> {
  private readonly workers: PoolWorker[] = [];
  private readonly listeners: ((event: WorkerEvent) => void)[] = [];
  private nextId = 1;
  private closed = false;
  /** Tasks accepted and not yet settled. */
  private held = 0;

  /**
   * @param maxTasks tasks the pool holds at once (running or waiting on a busy worker); more are
   *   refused with ResourceExhaustedError instead of piling up behind a slow one. Services keep
   *   their own admission queue in front; this bound is what the pool itself promises.
   */
  constructor(
    private readonly entry: WorkerEntry,
    size: number,
    private readonly workerData: unknown = {},
    private readonly maxTasks = DEFAULT_MAX_TASKS,
  ) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn(i));
  }

  /**
   * Starts worker `index`. A worker that dies after it was ready (a native crash, an uncaught
   * error, `process.exit` in a task) fails its running tasks and is replaced, so later tasks do
   * not wait forever on a dead thread; one that dies while starting is not, or a broken entry
   * would restart without end.
   */
  private spawn(index: number): PoolWorker {
    const { entry, workerData } = this;
    const worker = entry.bootstrap
      ? new Worker(entry.bootstrap, { eval: true, env: entry.env, workerData })
      : new Worker(entry.url, { env: entry.env, workerData });
    const pending = new Map<number, Pending>();
    let started = false;
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          started = true;
          return resolve();
        }
        if (message.type === 'event') {
          for (const listener of this.listeners) listener(message.event);
          return;
        }
        const task = pending.get(message.id);
        if (!task) return;
        if (message.type === 'progress') task.onProgress?.(message.event);
        else {
          pending.delete(message.id);
          if (message.type === 'result') task.resolve(message.result);
          else task.reject(rebuildTaskError(message.error));
        }
      });
    });
    // Keeps a start failure from surfacing as an unhandled rejection before anyone awaits it.
    ready.catch(() => undefined);
    worker.on('error', (error) => {
      for (const task of pending.values()) task.reject(error);
      pending.clear();
    });
    worker.on('exit', (code) => {
      for (const task of pending.values())
        task.reject(new Error(`worker exited with code ${code}`));
      pending.clear();
      if (started && !this.closed) this.workers[index] = this.spawn(index);
    });
    return { worker, ready, pending };
  }

  /**
   * Calls `listener` with every event a worker posts (`postWorkerEvent`: a model it loaded, …).
   * Events arrive as messages, so a listener added right after construction misses none.
   */
  onEvent(listener: (event: WorkerEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves when every worker has started (and loaded what its entry loads at start). */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ready));
  }

  /** Tasks running now, per worker. */
  load(): number[] {
    return this.workers.map((w) => w.pending.size);
  }

  /** Runs a task of `kind` on the least busy worker. */
  async run<K extends TaskKind<M>>(
    kind: K,
    payload: M[K]['payload'],
    options: RunOptions<M[K]['progress']> = {},
  ): Promise<M[K]['result']> {
    if (this.closed) throw new Error('worker pool is closed');
    // Counted from the call on, so tasks still waiting for their worker to start count too.
    if (this.held >= this.maxTasks)
      throw new ResourceExhaustedError('worker pool', `${this.maxTasks} tasks`);
    this.held++;
    try {
      return await this.send(kind, payload, options);
    } finally {
      this.held--;
    }
  }

  private async send<K extends TaskKind<M>>(
    kind: K,
    payload: M[K]['payload'],
    options: RunOptions<M[K]['progress']>,
  ): Promise<M[K]['result']> {
    const target = this.workers.reduce((best, w) =>
      w.pending.size < best.pending.size ? w : best,
    );
    await target.ready;
    const id = this.nextId++;
    const send = (message: ToWorker) => target.worker.postMessage(message);
    return new Promise<M[K]['result']>((resolve, reject) => {
      const cancelFlag = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
      const onAbort = () => {
        Atomics.store(new Int32Array(cancelFlag), 0, 1);
        send({ type: 'abort', id });
      };
      target.pending.set(id, {
        resolve: (value) => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve(value as M[K]['result']);
        },
        reject: (error) => {
          options.signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        onProgress: options.onProgress as ((event: unknown) => void) | undefined,
      });
      send({ type: 'run', id, kind, payload, cancelFlag });
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
