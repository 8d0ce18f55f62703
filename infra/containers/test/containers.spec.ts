import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHealth, TypedGrpcClient } from '@nextx/grpc';
import { freePort, workspaceRoot } from '@nextx/grpc/testing';
import { deleteTestTopics, testEnv, until } from '@nextx/jobs/testing';
import { audio, commonJob, image, PROTO_FILES, shape, timeseries, video } from '@nextx/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  imageSizeMb,
  podman,
  podmanStatus,
  requirePodman,
  startContainer,
  type Container,
} from './podman';
import { jobOutput, videoClient, videoClip } from './requests';

// Built by this project's test target (infra/containers/build.sh) before vitest starts.
const VERSION = '0.1.0';
const IMAGE = (service: string) => `localhost/nextx/${service}:${VERSION}`;
const SERVICES = [
  'image-service',
  'video-service',
  'video-worker',
  'audio-service',
  'timeseries-service',
  'shape-service',
  'gateway',
] as const;

const containers: Container[] = [];
async function start(...args: Parameters<typeof startContainer>): Promise<Container> {
  const container = await startContainer(...args);
  containers.push(container);
  return container;
}

/** Waits until the service answers SERVING over gRPC and its own HEALTHCHECK passes. */
async function waitHealthy(container: Container, address?: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const grpcOk =
      !address || (await checkHealth(address, '', 1000).catch(() => 'DOWN')) === 'SERVING';
    if (grpcOk && (await podmanStatus('healthcheck', 'run', container.name)) === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `${container.name} not healthy in 90 s:\n${(await container.logs()).slice(-3000)}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** uid of the container's main process. */
async function processUid(container: Container): Promise<string> {
  const status = await podman('exec', container.name, 'cat', '/proc/1/status');
  return /^Uid:\s+(\d+)/m.exec(status)![1];
}

async function grpcService(
  service: string,
  env: Record<string, string> = {},
  volumes: string[] = [],
) {
  const port = await freePort();
  const container = await start(IMAGE(service), `nextx-test-${service}-${port}`, {
    env: { GRPC_PORT: String(port), METRICS_PORT: String(await freePort()), ...env },
    volumes,
  });
  const address = `127.0.0.1:${port}`;
  await waitHealthy(container, address);
  return { container, address };
}

function imageRequest(overrides: Partial<image.GenerateRequest> = {}): image.GenerateRequest {
  return {
    model: { name: 'var-mnist', version: '' },
    classLabel: 3,
    numImages: 1,
    seed: 1,
    sampling: {},
    speculative: false,
    lantern: false,
    jacobi: false,
    ...overrides,
  } as image.GenerateRequest;
}

describe('container images (podman, runc, host network)', () => {
  beforeAll(async () => {
    await requirePodman(SERVICES.map(IMAGE));
  });

  afterAll(async () => {
    await Promise.all(containers.map((c) => c.remove()));
  });

  it('every image runs as a non-root user, checks its health through grpc.health.v1 (the worker: /healthz) and reports its size', async () => {
    const rows: string[] = [];
    for (const service of SERVICES) {
      const config = JSON.parse(
        await podman('image', 'inspect', '--format', '{{json .Config}}', IMAGE(service)),
      );
      expect(config.User).toBe('10001:10001');
      const healthcheck = JSON.parse(
        await podman(
          'image',
          'inspect',
          '--format',
          '{{json .Config.Healthcheck}}',
          IMAGE(service),
        ),
      );
      expect(healthcheck.Test.join(' ')).toContain('/opt/nextx/app/healthcheck.mjs');
      expect(config.Env).toContain('NEXTX_PROTO_DIR=/opt/nextx/proto');
      expect(config.Env).toContain('MODELS_DIR=/opt/nextx/models');
      const kind = { 'video-worker': 'http', gateway: 'gateway' }[service as string] ?? 'grpc';
      expect(config.Env).toContain(`HEALTHCHECK_KIND=${kind}`);
      rows.push(
        `${IMAGE(service).padEnd(42)} ${(await imageSizeMb(IMAGE(service))).toFixed(0)} MB`,
      );
    }
    // No source tree inside: the bundle, its packages, protos and models only.
    const listing = await podman(
      'run',
      '--rm',
      '--entrypoint',
      'ls',
      IMAGE('image-service'),
      '/opt/nextx',
      '/opt/nextx/models',
    );
    expect(listing.split(/\s+/)).toEqual(
      expect.arrayContaining([
        'app',
        'node_modules',
        'proto',
        'models',
        'llama-mnist',
        'var-mnist',
      ]),
    );
    expect(listing).not.toMatch(/\b(libs|apps|tsconfig|package-lock)/);
    console.log(`image sizes:\n${rows.join('\n')}`);
  });

  it('image-service alone: healthy, one real Generate, runs as uid 10001', async () => {
    const { container, address } = await grpcService('image-service');
    const client = new TypedGrpcClient<image.ImageGenerationClient>(
      address,
      PROTO_FILES.image,
      'nextx.image.v1.ImageGeneration',
    );
    try {
      let images: image.GeneratedImages | undefined;
      for await (const m of client.stream('generate', imageRequest())) images = m.images ?? images;
      expect(images!.png).toHaveLength(1);
      expect(Buffer.from(images!.png[0]).subarray(1, 4).toString()).toBe('PNG');
      expect(await processUid(container)).toBe('10001');
    } finally {
      client.close();
      await container.remove();
    }
  });

  it('gateway in front of image-service: healthy, one real generation as PNG over HTTP, the playground and its vendor scripts from the image', async () => {
    const backend = await grpcService('image-service');
    const port = await freePort();
    const gateway = await start(IMAGE('gateway'), `nextx-test-gateway-${port}`, {
      env: { GATEWAY_PORT: String(port), IMAGE_ADDRESS: backend.address },
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitHealthy(gateway);
      const png = await fetch(`${url}/v1/image/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'image/png' },
        body: JSON.stringify({ model: { name: 'var-mnist' }, classLabel: 3, seed: '1' }),
      });
      expect(png.status).toBe(200);
      expect(
        Buffer.from(await png.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
      const ready = (await (await fetch(`${url}/readyz`)).json()) as {
        backends: { service: string; status: string }[];
      };
      expect(ready.backends.find((b) => b.service === 'image')?.status).toBe('SERVING');
      expect((await fetch(`${url}/`)).status).toBe(200);
      for (const file of [
        '/vendor/chart.js/dist/chart.umd.js',
        '/vendor/@google/model-viewer/dist/model-viewer.min.js',
        '/vendor/swagger-ui-dist/swagger-ui-bundle.js',
      ])
        expect((await fetch(`${url}${file}`)).status, file).toBe(200);
      expect(await processUid(gateway)).toBe('10001');
    } finally {
      await gateway.remove();
      await backend.container.remove();
    }
  });

  it('image-service: a MODELS_DIR mount overrides the baked-in models', async () => {
    const models = mkdtempSync(join(tmpdir(), 'nextx-models-'));
    cpSync(join(workspaceRoot(), 'models', 'var-mnist'), join(models, 'var-mnist'), {
      recursive: true,
    });
    chmodSync(models, 0o755);
    const { container, address } = await grpcService('image-service', { MODELS_DIR: '/models' }, [
      `${models}:/models:ro`,
    ]);
    const client = new TypedGrpcClient<image.ImageGenerationClient>(
      address,
      PROTO_FILES.image,
      'nextx.image.v1.ImageGeneration',
    );
    try {
      const { models: listed } = await client.unary('listModels', {});
      expect(listed.map((m) => m.model!.name)).toEqual(['var-mnist']);
    } finally {
      client.close();
      await container.remove();
      rmSync(models, { recursive: true, force: true });
    }
  });

  it('image-service: SIGTERM during a running stream drains (NOT_SERVING, the stream completes, exit 0)', async () => {
    const { container, address } = await grpcService('image-service', {
      SHUTDOWN_DRAIN_DELAY_MS: '1500',
    });
    const client = new TypedGrpcClient<image.ImageGenerationClient>(
      address,
      PROTO_FILES.image,
      'nextx.image.v1.ImageGeneration',
    );
    try {
      let progress = 0;
      let images: image.GeneratedImages | undefined;
      const stream = (async () => {
        for await (const m of client.stream(
          'generate',
          imageRequest({ model: { name: 'llama-mnist', version: '' }, numImages: 8 }),
        )) {
          if (m.progress) progress++;
          images = m.images ?? images;
        }
      })();
      await until('the first progress event', () => progress > 0, 60_000);
      await podman('kill', '--signal', 'TERM', container.name);
      await until(
        'NOT_SERVING while draining',
        async () => (await checkHealth(address, '', 1000).catch(() => 'DOWN')) === 'NOT_SERVING',
        5000,
      );
      await stream;
      expect(images!.png).toHaveLength(8);
      expect(await container.exitCode()).toBe(0);
      expect(await container.logs()).toContain('"msg":"draining"');
    } finally {
      client.close();
      await container.remove();
    }
  });

  it('timeseries-service alone: healthy, one real Forecast', async () => {
    const { container, address } = await grpcService('timeseries-service');
    const client = new TypedGrpcClient<timeseries.TimeSeriesClient>(
      address,
      PROTO_FILES.timeseries,
      'nextx.timeseries.v1.TimeSeries',
    );
    try {
      const values = Array.from(
        { length: 96 },
        (_, i) => 10 + Math.sin((2 * Math.PI * i) / 12) + i * 0.05,
      );
      const response = await client.unary('forecast', {
        series: { values, timestampsMs: [], frequency: '', seasonLength: 12 },
        horizon: 12,
        quantiles: [0.1, 0.9],
        numPaths: 20,
        seed: 1,
        model: { method: timeseries.Method.METHOD_AR, order: 12 },
        holdout: [],
      } as timeseries.ForecastRequest);
      expect(response.point).toHaveLength(12);
      // The pretrained forecaster ships inside the image.
      const chronos = await client.unary('forecast', {
        series: { values, timestampsMs: [], frequency: '', seasonLength: 12 },
        horizon: 12,
        quantiles: [0.5],
        numPaths: 0,
        seed: 1,
        model: { method: timeseries.Method.METHOD_CHRONOS, order: 0 },
        holdout: [],
      } as timeseries.ForecastRequest);
      expect(chronos.model?.pretrained?.name).toBe('chronos-corpus');
      expect(await processUid(container)).toBe('10001');
    } finally {
      client.close();
      await container.remove();
    }
  });

  it('shape-service alone: healthy, one real shape as GLB', async () => {
    const { container, address } = await grpcService('shape-service');
    const client = new TypedGrpcClient<shape.ShapeGenerationClient>(
      address,
      PROTO_FILES.shape,
      'nextx.shape.v1.ShapeGeneration',
    );
    try {
      let result: shape.GeneratedShape | undefined;
      for await (const m of client.stream('generate', {
        model: { name: 'shape-octree', version: '' },
        className: 'Resistor_THT',
        seed: 1,
        sampling: {},
        format: shape.MeshFormat.MESH_FORMAT_GLB,
        resolution: 0,
      }))
        if (m.shape) result = m.shape;
      expect(Buffer.from(result!.mesh.subarray(0, 4)).toString()).toBe('glTF');
      expect(result!.steps).toBe(4);
      expect(await processUid(container)).toBe('10001');
    } finally {
      client.close();
      await container.remove();
    }
  });

  it('audio-service alone: healthy, one real 1 s clip (FLAC through the image’s ffmpeg)', async () => {
    const { container, address } = await grpcService('audio-service');
    const client = new TypedGrpcClient<audio.AudioGenerationClient>(
      address,
      PROTO_FILES.audio,
      'nextx.audio.v1.AudioGeneration',
    );
    try {
      let result: audio.GeneratedAudio | undefined;
      let chunks = 0;
      for await (const m of client.stream('generate', {
        model: { name: 'musicgen-notes', version: '' },
        note: { family: 'guitar', pitch: 60 },
        seconds: 1,
        seed: 1,
        sampling: {},
        method: audio.Method.METHOD_UNSPECIFIED,
        magnet: undefined,
        format: audio.AudioFormat.AUDIO_FORMAT_FLAC,
        chunkFrames: 0,
      })) {
        if (m.chunk) chunks++;
        result = m.audio ?? result;
      }
      expect(chunks).toBeGreaterThan(1);
      expect(Buffer.from(result!.wav).subarray(0, 4).toString()).toBe('RIFF');
      expect(Buffer.from(result!.encoded).subarray(0, 4).toString()).toBe('fLaC');
      expect(await processUid(container)).toBe('10001');
    } finally {
      client.close();
      await container.remove();
    }
  });

  describe('video-service and video-worker containers with the test broker', () => {
    let env: Record<string, string>;
    let jobsDir: string;

    beforeAll(() => {
      env = testEnv('containers') as Record<string, string>;
      // The job folder is shared by the two containers, written by uid 10001.
      jobsDir = env['JOBS_CHUNK_DIR']!;
      chmodSync(jobsDir, 0o777);
    });

    afterAll(async () => {
      await deleteTestTopics(env);
      rmSync(jobsDir, { recursive: true, force: true });
    });

    it('video-service alone: healthy, one real 4-frame clip (MP4)', async () => {
      const { container, address } = await grpcService(
        'video-service',
        {
          ...env,
          JOBS_CHUNK_DIR: '/var/lib/nextx/jobs',
        },
        [`${jobsDir}:/var/lib/nextx/jobs`],
      );
      const client = videoClient(address);
      try {
        let clip: video.Clip | undefined;
        let frames = 0;
        for await (const m of client.stream('generateClip', { clip: videoClip(), format: 'mp4' })) {
          if (m.frame) frames++;
          clip = m.clip ?? clip;
        }
        expect(frames).toBe(4);
        expect(Buffer.from(clip!.data).subarray(4, 8).toString()).toBe('ftyp');
        expect(await processUid(container)).toBe('10001');
      } finally {
        client.close();
        await container.remove();
      }
    });

    it('a video job submitted to the video-service container is done by a video-worker container', async () => {
      const shared = { ...env, JOBS_CHUNK_DIR: '/var/lib/nextx/jobs' };
      const volume = [`${jobsDir}:/var/lib/nextx/jobs`];
      const { container: service, address } = await grpcService('video-service', shared, volume);
      const worker = await start(
        IMAGE('video-worker'),
        `nextx-test-video-worker-${await freePort()}`,
        {
          env: { ...shared, METRICS_PORT: String(await freePort()) },
          volumes: volume,
        },
      );
      await waitHealthy(worker);
      const client = videoClient(address);
      try {
        const { job } = await client.unary('submitVideoJob', {
          idempotencyKey: 'containers-job',
          clip: videoClip({ digits: [1, 4], frames: 8, seed: 3 }),
          chunkFrames: 4,
          outputFormat: 'mp4',
        });
        const states: commonJob.JobState[] = [];
        for await (const m of client.stream('watchJob', { jobId: job!.jobId, afterSequence: 0 }))
          states.push(m.job!.state);
        expect(states[states.length - 1]).toBe(commonJob.JobState.JOB_STATE_SUCCEEDED);
        expect((await jobOutput(client, job!.jobId)).subarray(4, 8).toString()).toBe('ftyp');
        expect(await processUid(worker)).toBe('10001');
      } finally {
        client.close();
        await Promise.all([service.remove(), worker.remove()]);
      }
    });
  });
});
