import { ConfigError } from '@nextx/config';
import { JsonLogger } from '@nextx/grpc';
import { ModelRepository } from '@nextx/runtime';
import { createKafka, FsChunkStore, JobWorker } from '@nextx/jobs';
import { hasH264Encoder } from '@nextx/media';
import { startTracing } from '@nextx/telemetry';
import { loadVideoWorkerConfig } from './config';
import { handlerByKind } from './job-kinds';
import { ThreadedVideoEngine } from './threaded-video-engine';
import { createVideoJobHandler } from './video-job-handler';
import { VideoWorkerMetrics } from './worker-metrics';

/**
 * A video worker process: one member of the Kafka worker group. It runs one job at a time on a
 * generation thread, checkpoints every chunk, and on SIGTERM / SIGINT hands its running job back
 * to the group (another worker resumes it from the last checkpoint) before it exits.
 */
async function main(): Promise<void> {
  const config = loadVideoWorkerConfig(process.env);
  const logger = new JsonLogger('video-worker', config.logLevel).pino;
  const tracing = startTracing(config.tracing, 'nextx-video-worker', {
    warn: (message) => logger.warn(message),
    error: (message) => logger.error(message),
  });
  const metrics = new VideoWorkerMetrics();
  if (config.metricsPort > 0) {
    const { port } = await metrics.serve(config.metricsPort, config.metricsHost);
    logger.info({ port }, 'metrics at /metrics');
  }
  const engine = new ThreadedVideoEngine(config.generation, (load) =>
    metrics.modelLoadSeconds.observe({ model: load.model }, load.seconds),
  );
  await engine.ready();
  const worker = new JobWorker({
    kafka: createKafka(config.jobs, { clientId: `${config.jobs.clientId}.video-worker`, logger }),
    config: config.jobs,
    chunks: new FsChunkStore(config.jobs.chunkDir),
    logger,
  });
  worker.on('job', (outcome) => metrics.delivery(outcome));
  metrics.watch(worker);
  // The spans of the job handed back on SIGTERM are exported before the process exits.
  worker.stopOnSignals(undefined, () => tracing.shutdown());
  const video = createVideoJobHandler({
    // Only manifests are read here; the sessions live on the generation thread.
    repository: new ModelRepository(config.generation.modelsDir),
    engine,
    limits: { maxFrames: config.generation.maxFrames, mp4: hasH264Encoder() },
    logger,
    metrics,
  });
  await worker.run(handlerByKind({ video }));
  logger.info(
    {
      workerId: worker.workerId,
      modelsDir: config.generation.modelsDir,
      threads: config.generation.threads,
      chunkDir: config.jobs.chunkDir,
      brokers: config.jobs.brokers,
      tracing: config.tracing.exporter,
    },
    'video worker ready',
  );
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`video-worker failed to start: ${message}\n`);
  process.exit(1);
});
