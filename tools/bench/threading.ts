// onnxruntime threading per service on this machine: the same closed-loop load (1 and 16
// concurrent Generate calls over gRPC on loopback, model defaults) against a freshly started
// service process in each configuration of <PREFIX>_WORKERS x <PREFIX>_THREADS_PER_WORKER
// (1x1, 1x2, 2x1). Configurations take turns within every round (the order rotates), and each
// configuration's throughput is reported against 1x1 as the median of per-round ratios.
// Usage: npx tsx tools/bench/threading.ts [rounds=2] [calls-per-level=24] [services=image,audio]
import { TypedGrpcClient } from '@nextx/grpc';
import { freePort, spawnService, workspaceRoot } from '@nextx/grpc/testing';
import { audio, image, PROTO_FILES } from '@nextx/proto';
import { join } from 'node:path';
import { median, report, spread } from './paired';

const rounds = Number(process.argv[2] ?? 2);
const calls = Number(process.argv[3] ?? 24);
const services = (process.argv[4] ?? 'image,audio').split(',');
const LEVELS = [1, 16];
const CONFIGS = [
  { workers: 1, threads: 1 },
  { workers: 1, threads: 2 },
  { workers: 2, threads: 1 },
];

interface Target {
  prefix: string;
  main: string;
  /** One Generate call, drained; resolves when the result has arrived. */
  call(address: string): (seed: number) => Promise<void>;
}

const TARGETS: Record<string, Target> = {
  image: {
    prefix: 'IMAGE',
    main: 'apps/image-service/src/main.ts',
    call: (address) => {
      const client = new TypedGrpcClient<image.ImageGenerationClient>(
        address,
        PROTO_FILES.image,
        'nextx.image.v1.ImageGeneration',
      );
      return async (seed) => {
        for await (const _ of client.stream('generate', {
          model: { name: 'llama-mnist', version: '' },
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
      };
    },
  },
  audio: {
    prefix: 'AUDIO',
    main: 'apps/audio-service/src/main.ts',
    call: (address) => {
      const client = new TypedGrpcClient<audio.AudioGenerationClient>(
        address,
        PROTO_FILES.audio,
        'nextx.audio.v1.AudioGeneration',
      );
      return async (seed) => {
        for await (const _ of client.stream('generate', {
          model: { name: 'musicgen-notes', version: '' },
          note: { family: 'guitar', pitch: 48 + (seed % 25) },
          seconds: 1,
          seed: seed + 1,
          sampling: {},
          method: audio.Method.METHOD_UNSPECIFIED,
          magnet: undefined,
          format: audio.AudioFormat.AUDIO_FORMAT_UNSPECIFIED,
          chunkFrames: 0,
        })) {
          // drain progress, chunks and result
        }
      };
    },
  },
};

/** Calls per second at each concurrency level for one configuration, on a fresh process. */
async function measure(target: Target, config: (typeof CONFIGS)[number]): Promise<number[]> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const service = await spawnService(
    join(workspaceRoot(), target.main),
    {
      GRPC_PORT: String(port),
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      [`${target.prefix}_WORKERS`]: String(config.workers),
      [`${target.prefix}_THREADS_PER_WORKER`]: String(config.threads),
      [`${target.prefix}_MAX_RUNNING`]: '64',
    },
    { address, timeoutMs: 120_000 },
  );
  const call = target.call(address);
  // Warm every worker: as many concurrent calls as workers, twice.
  for (let w = 0; w < 2; w++)
    await Promise.all(Array.from({ length: config.workers }, (_, i) => call(i)));
  const rates: number[] = [];
  for (const concurrency of LEVELS) {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < calls) await call(next++);
      }),
    );
    rates.push((calls * 1000) / (performance.now() - started));
  }
  service.process.kill('SIGTERM');
  await service.exited;
  return rates;
}

for (const name of services) {
  const target = TARGETS[name];
  if (!target)
    throw new Error(`unknown service ${name}: one of ${Object.keys(TARGETS).join(', ')}`);
  // rates[config][level][round]
  const rates = CONFIGS.map(() => LEVELS.map(() => [] as number[]));
  for (let r = 0; r < rounds; r++)
    for (let k = 0; k < CONFIGS.length; k++) {
      const c = (k + r) % CONFIGS.length;
      const got = await measure(target, CONFIGS[c]!);
      got.forEach((v, l) => rates[c]![l]!.push(v));
    }
  console.log(`${name} service, ${calls} calls per level, ${rounds} rounds (calls/s, median):`);
  for (const [c, config] of CONFIGS.entries()) {
    const cells = LEVELS.map((level, l) => {
      const ratios = rates[c]![l]!.map((v, r) => v / rates[0]![l]![r]!);
      return `${level} concurrent ${median(rates[c]![l]!).toFixed(1)}/s (vs 1x1 ${spread(ratios)})`;
    });
    console.log(`  ${config.workers} worker(s) x ${config.threads} thread(s): ${cells.join(', ')}`);
    if (c > 0)
      LEVELS.forEach((level, l) =>
        report({
          bench: 'threading',
          metric: `${name} service ${config.workers}x${config.threads} vs 1x1 (workers x threads), ${level} concurrent`,
          values: rates[c]![l]!.map((v, r) => v / rates[0]![l]![r]!),
        }),
      );
  }
}
