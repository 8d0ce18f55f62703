import { workerData } from 'node:worker_threads';
import { serveModelTasks } from '@nextx/runtime';
import { videoTaskHandlers } from '@nextx/video';
import type { VideoServiceSettings } from './config';

/** A generation worker: owns the ONNX sessions and runs the video loops off the main thread. */
const settings = workerData as VideoServiceSettings;
serveModelTasks(
  { modelsDir: settings.modelsDir, intraOpThreads: settings.threadsPerWorker },
  videoTaskHandlers,
);
