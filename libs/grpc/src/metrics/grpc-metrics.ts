import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Request metrics of one service, in Prometheus form (names in the spirit of Triton's and
 * vLLM's: success/failure counts, latency histogram, in-flight gauge).
 */
export class GrpcMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'code'>;
  readonly duration: Histogram<'method'>;
  readonly inFlight: Gauge<'method'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'nextx_' });
    this.requests = new Counter({
      name: 'nextx_grpc_requests_total',
      help: 'gRPC calls finished, by method and status code name',
      labelNames: ['method', 'code'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'nextx_grpc_request_duration_seconds',
      help: 'gRPC call latency from handler start to last message',
      labelNames: ['method'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [this.registry],
    });
    this.inFlight = new Gauge({
      name: 'nextx_grpc_requests_in_flight',
      help: 'gRPC calls being handled now',
      labelNames: ['method'],
      registers: [this.registry],
    });
  }
}
