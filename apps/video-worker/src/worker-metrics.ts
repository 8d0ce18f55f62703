import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobOutcome } from '@nextx/jobs';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

/** Prometheus metrics of one video worker process. */
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
    this.renderSeconds = new Histogram({
      name: 'nextx_video_render_seconds',
      help: 'time to decode and encode a finished clip',
      labelNames: ['format'],
      buckets: SECONDS,
      registers,
    });
  }

  /** Counts one delivery (hook to the JobWorker's `job` event). */
  delivery(outcome: JobOutcome): void {
    this.deliveries.inc({ outcome: outcome.outcome });
  }

  /** Serves `GET /metrics` on `port`; resolves with the server and its bound port. */
  async serve(port: number, host: string): Promise<{ server: Server; port: number }> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404).end('not found; try /metrics\n');
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
