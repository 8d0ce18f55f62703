import { ModelRepository } from '../repository/model-repository';
import { postWorkerEvent, serveTasks, type TaskHandlers } from './worker-host';
import type { TaskMap } from './worker-protocol';

/** What a generation worker thread needs to open its model repository. */
export interface ModelWorkerSettings {
  /** Model repository folder. */
  readonly modelsDir: string;
  /** onnxruntime intra-op threads of every session this thread opens. */
  readonly intraOpThreads: number;
}

/**
 * The body of a generation worker thread: it owns a model repository (and so every ONNX session
 * it opens) and serves a modality's tasks from it, so onnxruntime's synchronous `run()` never
 * blocks a service's main thread. Each model load is reported to the main thread
 * (`model-loaded` events), where the metrics live.
 */
export function serveModelTasks<M extends TaskMap<M>>(
  settings: ModelWorkerSettings,
  handlers: (repository: ModelRepository) => TaskHandlers<M>,
): void {
  const repository = new ModelRepository(
    settings.modelsDir,
    { intraOpThreads: settings.intraOpThreads, interOpThreads: 1, graphOptimization: 'all' },
    { onLoad: (load) => postWorkerEvent({ kind: 'model-loaded', ...load }) },
  );
  serveTasks(handlers(repository));
}
