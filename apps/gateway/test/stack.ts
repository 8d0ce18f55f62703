import { deleteTestTopics, testEnv } from '@nextx/jobs/testing';
import { connect } from 'node:net';
import type { ClientSecurity } from '@nextx/grpc';
import { freePort, spawnService, type SpawnedService } from '@nextx/grpc/testing';

/** The services a stack can run behind its gateway. */
export type StackService = 'image' | 'video' | 'timeseries' | 'audio' | 'shape';

const ENTRIES: Record<StackService, string> = {
  image: 'apps/image-service/src/main.ts',
  video: 'apps/video-service/src/main.ts',
  timeseries: 'apps/timeseries-service/src/main.ts',
  audio: 'apps/audio-service/src/main.ts',
  shape: 'apps/shape-service/src/main.ts',
};

const ADDRESS_VARIABLES: Record<StackService, string> = {
  image: 'IMAGE_ADDRESS',
  video: 'VIDEO_ADDRESS',
  timeseries: 'TIMESERIES_ADDRESS',
  audio: 'AUDIO_ADDRESS',
  shape: 'SHAPE_ADDRESS',
};

/** What a running stack offers a test. */
export interface Stack {
  /** `http://127.0.0.1:PORT` of the gateway. */
  readonly gatewayUrl: string;
  /** `host:port` of each running backend. */
  readonly addresses: Partial<Record<StackService, string>>;
  /** Every process's output, for a failing test's message. */
  output(): string;
  /** Stops the gateway and every backend (SIGTERM), and deletes the job topics. */
  stop(): Promise<void>;
  /** Kills one backend (SIGKILL): the gateway then sees it UNAVAILABLE. */
  kill(service: StackService | 'video-worker'): Promise<void>;
}

/** Settings of {@link startStack}. */
export interface StackOptions {
  /** Backends to start (default all five, with a video worker and Kafka jobs). */
  readonly services?: readonly StackService[];
  /** Extra environment per backend, e.g. `{ image: { IMAGE_MAX_RUNNING: '1' } }`. */
  readonly env?: Partial<Record<StackService | 'gateway', Record<string, string>>>;
  /** How the stack checks its backends' health when they use TLS. */
  readonly backendSecurity?: ClientSecurity;
}

/** Whether something accepts TCP connections on `port` (HTTP or HTTPS alike). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until the gateway listens (it binds only once every route is registered). */
async function waitForGateway(port: number, process: SpawnedService): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (process.process.exitCode !== null)
      throw new Error(`gateway exited with ${process.process.exitCode}:\n${process.output()}`);
    if (await listening(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`gateway on port ${port} did not listen in time:\n${process.output()}`);
}

/**
 * Starts real backends (their own processes, the bundled models, video jobs on the real Kafka
 * broker of KAFKA_BROKERS with a video worker) and a real gateway in front of them, on loopback.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const services =
    options.services ?? (['image', 'video', 'timeseries', 'audio', 'shape'] as const);
  const jobs = services.includes('video') ? testEnv('gateway') : undefined;
  const processes = new Map<string, SpawnedService>();
  const addresses: Partial<Record<StackService, string>> = {};
  const stopAll = async () => {
    await Promise.all(
      [...processes.values()].map(async (p) => {
        if (p.process.exitCode === null && p.process.signalCode === null) {
          p.process.kill('SIGTERM');
          await p.exited;
        }
      }),
    );
    if (jobs) await deleteTestTopics(jobs);
  };
  try {
    await Promise.all(
      services.map(async (service) => {
        const port = await freePort();
        const address = `127.0.0.1:${port}`;
        addresses[service] = address;
        const env = {
          GRPC_PORT: String(port),
          METRICS_PORT: '0',
          LOG_LEVEL: 'warn',
          ...(service === 'video' ? (jobs as Record<string, string>) : {}),
          ...options.env?.[service],
        };
        processes.set(
          service,
          await spawnService(ENTRIES[service], env, {
            address,
            timeoutMs: 90_000,
            security: options.backendSecurity,
          }),
        );
      }),
    );
    if (jobs)
      processes.set(
        'video-worker',
        await spawnService(
          'apps/video-worker/src/main.ts',
          { ...(jobs as Record<string, string>), METRICS_PORT: '0', LOG_LEVEL: 'warn' },
          { waitForHealth: false },
        ),
      );
    const gatewayPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const unused = await freePort(); // Backends not started point at a closed port: UNAVAILABLE.
    const gatewayEnv: Record<string, string> = {
      GATEWAY_PORT: String(gatewayPort),
      LOG_LEVEL: 'warn',
      ...options.env?.gateway,
    };
    for (const service of Object.keys(ENTRIES) as StackService[])
      gatewayEnv[ADDRESS_VARIABLES[service]] = addresses[service] ?? `127.0.0.1:${unused}`;
    const gateway = await spawnService('apps/gateway/src/main.ts', gatewayEnv, {
      waitForHealth: false,
    });
    processes.set('gateway', gateway);
    await waitForGateway(gatewayPort, gateway);
    return {
      gatewayUrl,
      addresses,
      output: () =>
        [...processes.entries()].map(([name, p]) => `--- ${name}\n${p.output()}`).join('\n'),
      stop: stopAll,
      async kill(service) {
        const p = processes.get(service);
        if (!p) throw new Error(`${service} is not running in this stack`);
        p.process.kill('SIGKILL');
        await p.exited;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
