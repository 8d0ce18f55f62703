import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkHealth } from '@nextx/grpc';
import { freePort, workspaceRoot } from '@nextx/grpc/testing';
import { until } from '@nextx/jobs/testing';
import { commonJob } from '@nextx/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERS_CONF, podman, requirePodman } from './podman';
import { jobOutput, videoClient, videoClip } from './requests';

const run = promisify(execFile);
const COMPOSE_FILE = join(import.meta.dirname, '..', '..', 'compose', 'compose.yaml');
const PROJECT = 'nextx-compose-test';
// infra/containers/podman-env.sh installs it there (Debian's 1.0.3 cannot do network_mode: host).
const PODMAN_COMPOSE = join(workspaceRoot(), '.tools', 'podman-compose', 'bin', 'podman-compose');
const IMAGES = [
  'image-service',
  'video-service',
  'video-worker',
  'audio-service',
  'timeseries-service',
  'shape-service',
  'gateway',
]
  .map((service) => `localhost/nextx/${service}:0.1.0`)
  .concat('localhost/nextx/kafka:4.1.0');

async function compose(env: Record<string, string>, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(PODMAN_COMPOSE, ['-p', PROJECT, '-f', COMPOSE_FILE, ...args], {
      env: { ...process.env, CONTAINERS_CONF, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(
      `podman-compose ${args.join(' ')}: ${(e.stderr || e.stdout || e.message).slice(-2000)}`,
    );
  }
}

/** `podman-compose` names a service's container `<project>_<service>_1`. */
const container = (service: string) => `${PROJECT}_${service}_1`;

async function metric(port: string, name: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe('compose: the whole stack, two workers, one killed mid-job', () => {
  const env: Record<string, string> = {};

  beforeAll(async () => {
    await requirePodman(IMAGES);
    await run(PODMAN_COMPOSE, ['--version']).catch(() => {
      throw new Error(
        `${PODMAN_COMPOSE} not found: bash infra/containers/build.sh installs it (infra/containers/podman-env.sh)`,
      );
    });
    for (const name of [
      'NEXTX_KAFKA_PORT',
      'NEXTX_KAFKA_CONTROLLER_PORT',
      'IMAGE_GRPC_PORT',
      'IMAGE_METRICS_PORT',
      'VIDEO_GRPC_PORT',
      'VIDEO_METRICS_PORT',
      'VIDEO_WORKER_METRICS_PORT',
      'VIDEO_WORKER_2_METRICS_PORT',
      'AUDIO_GRPC_PORT',
      'AUDIO_METRICS_PORT',
      'TIMESERIES_GRPC_PORT',
      'TIMESERIES_METRICS_PORT',
      'SHAPE_GRPC_PORT',
      'SHAPE_METRICS_PORT',
      'GATEWAY_PORT',
    ])
      env[name] = String(await freePort());
    await compose(env, 'down', '-v').catch(() => undefined);
    await compose(env, 'up', '-d');
    for (const service of ['IMAGE', 'VIDEO', 'AUDIO', 'TIMESERIES', 'SHAPE'])
      await until(
        `${service.toLowerCase()}-service SERVING`,
        async () =>
          (await checkHealth(`127.0.0.1:${env[`${service}_GRPC_PORT`]}`, '', 1000).catch(
            () => 'DOWN',
          )) === 'SERVING',
        180_000,
      );
    for (const port of [env['VIDEO_WORKER_METRICS_PORT'], env['VIDEO_WORKER_2_METRICS_PORT']])
      await until(
        `worker /healthz on ${port}`,
        async () =>
          (await fetch(`http://127.0.0.1:${port}/healthz`).then(
            (r) => r.status,
            () => 0,
          )) === 200,
        180_000,
      );
  }, 300_000);

  afterAll(async () => {
    if (Object.keys(env).length) await compose(env, 'down', '-v').catch(() => undefined);
  }, 120_000);

  it('the gateway reaches every service of the stack: /readyz 200, /v1/models lists each one', async () => {
    const url = `http://127.0.0.1:${env['GATEWAY_PORT']}`;
    await until(
      'gateway /readyz 200',
      async () =>
        (await fetch(`${url}/readyz`).then(
          (r) => r.status,
          () => 0,
        )) === 200,
      60_000,
    );
    const models = (await (await fetch(`${url}/v1/models`)).json()) as {
      services: { service: string; models: unknown[] }[];
    };
    expect(models.services.map((s) => [s.service, s.models.length > 0])).toEqual([
      ['image', true],
      ['video', true],
      ['timeseries', true],
      ['audio', true],
      ['shape', true],
    ]);
  });

  it('a long job completes exactly once after the worker running it is killed', async () => {
    const client = videoClient(`127.0.0.1:${env['VIDEO_GRPC_PORT']}`);
    try {
      const { job } = await client.unary('submitVideoJob', {
        idempotencyKey: `compose-${Date.now()}`,
        clip: videoClip({ digits: [2, 5], frames: 48, seed: 11 }),
        chunkFrames: 4,
        outputFormat: 'mp4',
      });
      const jobId = job!.jobId;
      const get = async () => (await client.unary('getJob', { jobId })).job!;
      await until('two chunks done', async () => (await get()).chunksDone >= 2, 180_000);

      // The worker that generates frames is the one running the job: kill it (SIGKILL).
      const ports = {
        'video-worker-1': env['VIDEO_WORKER_METRICS_PORT'],
        'video-worker-2': env['VIDEO_WORKER_2_METRICS_PORT'],
      };
      const frames = Object.fromEntries(
        await Promise.all(
          Object.entries(ports).map(async ([name, port]) => [
            name,
            await metric(port, 'nextx_video_frames_generated_total'),
          ]),
        ),
      ) as Record<string, number>;
      const victim =
        frames['video-worker-1'] >= frames['video-worker-2'] ? 'video-worker-1' : 'video-worker-2';
      const survivor = victim === 'video-worker-1' ? 'video-worker-2' : 'video-worker-1';
      const doneAtKill = (await get()).chunksDone;
      await podman('kill', '--signal', 'KILL', container(victim));

      const states: commonJob.JobState[] = [];
      for await (const m of client.stream('watchJob', { jobId, afterSequence: 0 }))
        states.push(m.job!.state);
      const final = await get();
      expect(final.state).toBe(commonJob.JobState.JOB_STATE_SUCCEEDED);
      expect(states.filter((s) => s === commonJob.JobState.JOB_STATE_SUCCEEDED)).toHaveLength(1);
      expect(final.chunksDone).toBe(final.chunksTotal);
      expect(final.chunksTotal).toBe(12);

      expect((await jobOutput(client, jobId)).subarray(4, 8).toString()).toBe('ftyp');

      // Exactly once: one delivery ended "succeeded" across both workers' logs (the killed one's
      // log is kept by podman), and the job folder holds each chunk once.
      const logs =
        (await podman('logs', container(victim))) + (await podman('logs', container(survivor)));
      const endings = logs
        .split('\n')
        .filter((line) => line.includes(jobId) && line.includes('job delivery ended'))
        .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as { outcome: string });
      expect(endings.filter((e) => e.outcome === 'succeeded')).toHaveLength(1);
      const volume = await podman(
        'volume',
        'inspect',
        '--format',
        '{{.Mountpoint}}',
        `${PROJECT}_jobs`,
      );
      const chunkFiles = readdirSync(join(volume, jobId)).filter((f) => /chunk/.test(f));
      console.log(
        `compose kill test: job ${jobId}, killed ${victim} at ${doneAtKill}/12 chunks (frames so far ${JSON.stringify(frames)}), ` +
          `attempts ${final.attempts}, states ${states.join(' → ')}, chunk files ${chunkFiles.length}, ` +
          `deliveries ended: ${endings.map((e) => e.outcome).join(', ')}`,
      );
      expect(final.attempts).toBeGreaterThanOrEqual(1);
    } finally {
      client.close();
    }
  });
});
