import { workerData } from 'node:worker_threads';
import { serveModelTasks } from '@nextx/runtime';
import { chronosTaskHandlers } from '@nextx/timeseries';
import type { ChronosSettings } from './config';

/** A pretrained-forecaster worker: owns the ONNX sessions; concurrent forecasts share forwards. */
const settings = workerData as ChronosSettings;
serveModelTasks(
  { modelsDir: settings.modelsDir, intraOpThreads: settings.threadsPerWorker },
  (repository) => chronosTaskHandlers(repository, { fusedRows: settings.fusedRows }),
);
