// Load test of the image service over gRPC on loopback: throughput and p50/p99 latency at
// concurrency 1, 4 and 16, temporal fusion on vs off, side by side. Each configuration runs
// the same number of Generate calls (1 image, raster model, model defaults) from N concurrent
// closed-loop clients against a freshly started service process.
// Usage: npx tsx tools/bench/image-load.ts [requests-per-level=32] [model=llama-mnist]
import { TypedGrpcClient } from '@nextx/grpc';
import { freePort, spawnService, workspaceRoot } from '@nextx/grpc/testing';
import { image, PROTO_FILES } from '@nextx/proto';
import { join } from 'node:path';

const total = Number(process.argv[2] ?? 32);
const model = process.argv[3] ?? 'llama-mnist';
const levels = [1, 4, 16];
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function measure(fusion: 'on' | 'off') {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const service = await spawnService(
    join(workspaceRoot(), 'apps/image-service/src/main.ts'),
    { GRPC_PORT: String(port), METRICS_PORT: '0', IMAGE_FUSION: fusion, LOG_LEVEL: 'warn' },
    { address, timeoutMs: 120_000 },
  );
  const client = new TypedGrpcClient<image.ImageGenerationClient>(
    address,
    PROTO_FILES.image,
    'nextx.image.v1.ImageGeneration',
  );
  const call = async (seed: number) => {
    const started = performance.now();
    for await (const _ of client.stream('generate', {
      model: { name: model, version: '' },
      classLabel: seed % 10,
      numImages: 1,
      seed: seed + 1,
      sampling: {},
      speculative: false,
      lantern: false,
      jacobi: false,
      draftHeads: false,
    })) {
      // drain progress and result
    }
    return performance.now() - started;
  };
  await call(0); // load the model in the worker
  const rows: { concurrency: number; rps: number; p50: number; p99: number }[] = [];
  for (const concurrency of levels) {
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) latencies.push(await call(next++));
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    rows.push({
      concurrency,
      rps: total / seconds,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
    });
  }
  client.close();
  service.process.kill('SIGTERM');
  await service.exited;
  return rows;
}

const on = await measure('on');
const off = await measure('off');
console.log(`image service, model ${model}, ${total} Generate calls (1 image each) per level`);
console.log(
  'concurrency | fusion on: req/s  p50 ms  p99 ms | fusion off: req/s  p50 ms  p99 ms | throughput on/off',
);
levels.forEach((c, i) => {
  const a = on[i];
  const b = off[i];
  console.log(
    `${String(c).padStart(11)} | ${a.rps.toFixed(2).padStart(16)} ${a.p50.toFixed(0).padStart(7)} ${a.p99.toFixed(0).padStart(7)} | ${b.rps.toFixed(2).padStart(17)} ${b.p50.toFixed(0).padStart(7)} ${b.p99.toFixed(0).padStart(7)} | ${(a.rps / b.rps).toFixed(2).padStart(8)}x`,
  );
});
