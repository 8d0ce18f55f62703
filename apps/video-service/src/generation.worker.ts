import { workerData } from 'node:worker_threads';
import { ModelRepository, serveTasks } from '@nextx/runtime';
import { videoTaskHandlers } from '@nextx/video';
import type { VideoServiceSettings } from './config';

/** A generation worker: owns the ONNX sessions and runs the video loops off the main thread. */
const settings = workerData as VideoServiceSettings;
const repository = new ModelRepository(settings.modelsDir, {
  intraOpThreads: settings.threadsPerWorker,
  interOpThreads: 1,
  graphOptimization: 'all',
});
serveTasks(videoTaskHandlers(repository));
