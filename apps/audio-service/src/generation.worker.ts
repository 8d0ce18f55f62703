import { workerData } from 'node:worker_threads';
import { audioTaskHandlers } from '@nextx/audio';
import { serveModelTasks } from '@nextx/runtime';
import type { AudioServiceSettings } from './config';

/** A generation worker: owns the ONNX sessions and runs the engine's loops off the main thread. */
const settings = workerData as AudioServiceSettings;
serveModelTasks(
  { modelsDir: settings.modelsDir, intraOpThreads: settings.threadsPerWorker },
  (repository) =>
    audioTaskHandlers(repository, { fusedRows: settings.fusedRows, fusion: settings.fusion }),
);
