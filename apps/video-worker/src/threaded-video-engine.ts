import { WorkerPool, workerEntry, type ModelLoadedEvent } from '@nextx/runtime';
import type {
  ChunkRequest,
  ChunkTasks,
  EngineCallOptions,
  GeneratedChunk,
  RenderedClip,
  RenderRequest,
  VideoEngine,
} from '@nextx/video';
import type { VideoGenerationSettings } from './config';

/**
 * {@link VideoEngine} on one generation thread (`generation.worker`): a worker process runs one
 * job at a time, and more throughput comes from more worker processes in the consumer group.
 */
export class ThreadedVideoEngine implements VideoEngine {
  private readonly pool: WorkerPool<ChunkTasks>;

  /** @param onModelLoad told of each model the generation thread loads (the load-time metric). */
  constructor(
    settings: VideoGenerationSettings,
    onModelLoad: (load: ModelLoadedEvent) => void = () => undefined,
  ) {
    this.pool = new WorkerPool(workerEntry(import.meta.url, 'generation.worker'), 1, settings);
    this.pool.onEvent((event) => {
      if (event.kind === 'model-loaded') onModelLoad(event);
    });
  }

  /** Resolves once the generation thread has started. */
  ready(): Promise<void> {
    return this.pool.ready();
  }

  generateChunk(request: ChunkRequest, options: EngineCallOptions = {}): Promise<GeneratedChunk> {
    return this.pool.run('generateChunk', request, {
      signal: options.signal,
      onProgress: options.onFrame,
    });
  }

  renderClip(request: RenderRequest, options: EngineCallOptions = {}): Promise<RenderedClip> {
    return this.pool.run('renderClip', request, {
      signal: options.signal,
    });
  }

  /** Stops the generation thread. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
