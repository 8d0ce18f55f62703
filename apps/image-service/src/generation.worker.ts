import { workerData } from 'node:worker_threads';
import { imageTaskHandlers } from '@nextx/image';
import { serveModelTasks } from '@nextx/runtime';
import type { ImageServiceSettings } from './config';

/** A generation worker: owns the ONNX sessions and runs the engine's loops off the main thread. */
const settings = workerData as ImageServiceSettings;
serveModelTasks(
  { modelsDir: settings.modelsDir, intraOpThreads: settings.threadsPerWorker },
  (repository) =>
    imageTaskHandlers(repository, { fusedRows: settings.fusedRows, fusion: settings.fusion }),
);
