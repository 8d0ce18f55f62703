import { workerData } from 'node:worker_threads';
import { serveModelTasks } from '@nextx/runtime';
import { chunkTaskHandlers } from '@nextx/video';
import type { VideoGenerationSettings } from './config';

/**
 * The generation thread of a video worker: owns the ONNX sessions, so onnxruntime's synchronous
 * `run()` never blocks the main thread that heartbeats to Kafka and hears cancel commands.
 */
const settings = workerData as VideoGenerationSettings;
// Frames decoded while generating are kept for the render, up to a whole 4096-frame job (64 MiB
// of 64×64 frames); longer jobs decode their oldest frames again.
serveModelTasks({ modelsDir: settings.modelsDir, intraOpThreads: settings.threads }, (repository) =>
  chunkTaskHandlers(repository, { cachedFrames: Math.min(settings.maxFrames, 4096) }),
);
