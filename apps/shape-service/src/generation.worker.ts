import { workerData } from 'node:worker_threads';
import { serveModelTasks } from '@nextx/runtime';
import { shapeTaskHandlers } from '@nextx/shape';
import type { ShapeServiceSettings } from './config';

/** A generation worker: owns the ONNX sessions and runs the engine's loops off the main thread. */
const settings = workerData as ShapeServiceSettings;
serveModelTasks(
  { modelsDir: settings.modelsDir, intraOpThreads: settings.threadsPerWorker },
  (repository) => shapeTaskHandlers(repository),
);
