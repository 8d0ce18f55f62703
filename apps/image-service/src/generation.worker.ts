import { workerData } from 'node:worker_threads';
import { imageTaskHandlers } from '@nextx/image';
import { ModelRepository, serveTasks } from '@nextx/runtime';
import type { ImageServiceSettings } from './config';

/** A generation worker: owns the ONNX sessions and runs the engine's loops off the main thread. */
const settings = workerData as ImageServiceSettings;
const repository = new ModelRepository(settings.modelsDir, {
  intraOpThreads: settings.threadsPerWorker,
  interOpThreads: 1,
  graphOptimization: 'all',
});
serveTasks(
  imageTaskHandlers(repository, { fusedRows: settings.fusedRows, fusion: settings.fusion }),
);
