import { Histogram, type Registry } from 'prom-client';

/**
 * `nextx_model_load_seconds{model}`: how long a worker thread took to load a model (create its
 * ONNX sessions, check them against the contract, warm them up), observed once per load. Every
 * generating process (the services and the video worker) registers it on its own registry.
 */
export function modelLoadHistogram(registry: Registry): Histogram<'model'> {
  return new Histogram({
    name: 'nextx_model_load_seconds',
    help: 'time for a worker thread to load a model: sessions created, contract checked, warmed up',
    labelNames: ['model'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
}
