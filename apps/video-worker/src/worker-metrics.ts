import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobOutcome } from '@nextx/jobs';
import { modelLoadHistogram } from '@nextx/telemetry';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

/** What the metrics endpoint asks the running worker. */
export interface WorkerProbe {
  /** In the group and consuming. */
  readonly healthy: boolean;
  /** Jobs waiting for the worker group. */
  consumerLag(): Promise<number>;
}

/** Prometheus metrics (and the health endpoint) of one video worker process. */
export class VideoWorkerMetrics {
  readonly registry = new Registry();
  /** Job deliveries by how they ended (succeeded, failed, handed-back, …). */
  readonly deliveries: Counter<'outcome'>;
  /** Time to generate one chunk. */
  readonly chunkSeconds: Histogram<'model'>;
  /** Frames generated (redone chunks count again). */
  readonly frames: Counter<'model'>;
  /** Time to decode and encode a finished clip. */
  readonly renderSeconds: Histogram<'format'>;
  /** `nextx_model_load_seconds`: how long the generation thread took to load each model. */
  readonly modelLoadSeconds: Histogram<'model'>;
  /** The worker this process runs, once it runs one. */
  private probe?: WorkerProbe;

  constructor() {
    this.registry.setDefaultLabels({ service: 'video-worker' });
    collectDefaultMetrics({ register: this.registry, prefix: 'nextx_' });
    const registers = [this.registry];
    this.deliveries = new Counter({
      name: 'nextx_video_job_deliveries_total',
      help: 'job deliveries finished by this worker, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.chunkSeconds = new Histogram({
      name: 'nextx_video_chunk_seconds',
      help: 'time to generate one chunk of frames',
      labelNames: ['model'],
      buckets: SECONDS,
      registers,
    });
    this.frames = new Counter({
      name: 'nextx_video_frames_generated_total',
      help: 'frames generated',
      labelNames: ['model'],
      registers,
    });
    const probe = () => this.probe;
    new Gauge({
      name: 'nextx_video_worker_consumer_lag',
      help: 'jobs waiting for the worker group (newest minus committed offsets of the jobs topic)',
      registers,
      async collect() {
        const worker = probe();
        if (worker) this.set(await worker.consumerLag());
      },
    });
    this.renderSeconds = new Histogram({
      name: 'nextx_video_render_seconds',
      help: 'time to decode and encode a finished clip',
      labelNames: ['format'],
      buckets: SECONDS,
      registers,
    });
    this.modelLoadSeconds = modelLoadHistogram(this.registry);
  }

  /** Counts one delivery (hook to the JobWorker's `job` event). */
  delivery(outcome: JobOutcome): void {
    this.deliveries.inc({ outcome: outcome.outcome });
  }

  /** The worker that `/healthz` and the lag gauge report on. */
  watch(probe: WorkerProbe): void {
    this.probe = probe;
  }

  /**
   * Serves `GET /metrics` and `GET /healthz` (200 while the worker is in its group and
   * consuming, else 503: what a liveness or readiness probe checks) on `port`; resolves with the
   * server and its bound port.
   */
  async serve(port: number, host: string): Promise<{ server: Server; port: number }> {
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/healthz') {
        const healthy = this.probe?.healthy ?? false;
        res
          .writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: healthy ? 'SERVING' : 'NOT_SERVING' }) + '\n');
        return;
      }
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404).end('not found; try /metrics or /healthz\n');
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (error: Error) => res.writeHead(500).end(error.message),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return { server, port: (server.address() as AddressInfo).port };
  }
}
