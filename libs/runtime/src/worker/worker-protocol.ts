/**
 * One kind of task a worker serves: what goes in, what it reports while running, what comes out.
 * A modality declares its tasks as a map of these (kind → task), and both sides of the thread
 * boundary are typed from that one map.
 */
export interface Task<Payload, Progress, Result> {
  readonly payload: Payload;
  readonly progress: Progress;
  readonly result: Result;
}

/** A map of task kinds to their {@link Task} types (an interface or a type alias). */
export type TaskMap<M> = { readonly [K in keyof M]: Task<unknown, unknown, unknown> };

/** Task kinds of a map, as sent over the thread boundary. */
export type TaskKind<M> = keyof M & string;

/** Main thread → worker. */
export type ToWorker =
  | {
      readonly type: 'run';
      readonly id: number;
      readonly kind: string;
      readonly payload: unknown;
      /** One Int32 the caller sets to 1 on cancel: visible inside a synchronous loop. */
      readonly cancelFlag: SharedArrayBuffer;
    }
  | { readonly type: 'abort'; readonly id: number };

/** A model finished loading on a worker thread (what a load-time metric observes). */
export interface ModelLoadedEvent {
  readonly kind: 'model-loaded';
  /** Model name. */
  readonly model: string;
  /** Version asked for ('' = whatever the repository holds). */
  readonly version: string;
  /** Time to create its sessions, check them and warm them up. */
  readonly seconds: number;
}

/**
 * What a worker thread reports about itself, outside any task: the main thread owns the metrics
 * registry, so figures measured on a worker travel as these.
 */
export type WorkerEvent = ModelLoadedEvent;

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'event'; readonly event: WorkerEvent }
  | { readonly type: 'progress'; readonly id: number; readonly event: unknown }
  | { readonly type: 'result'; readonly id: number; readonly result: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError };

/** An error crossing the thread boundary (class identity is lost; name and fields survive). */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(error))
      fields[key] = (error as unknown as Record<string, unknown>)[key];
    return { name: error.name, message: error.message, fields };
  }
  return { name: 'Error', message: String(error), fields: {} };
}
