import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnService, workspaceRoot, type SpawnedService } from '@nextx/grpc/testing';
import {
  FsChunkStore,
  JobStateStore,
  JobSubmitter,
  codecs,
  createIdempotentProducer,
  createKafka,
  ensureTopics,
  loadJobsConfig,
  type JobsConfig,
} from '@nextx/jobs';
import { readTopic, until } from '@nextx/jobs/testing';
import { probeClip } from '@nextx/media';
import { jobs, type videoJob } from '@nextx/proto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { decodeChunk, type VideoChunk } from '../src/chunk-codec';
import { videoJobParams } from '../src/video-job-spec';

export const S = jobs.JobState;

/** The reference video model the tests run (committed under models/). */
export const MODEL = 'nbp-mmnist';

/** The repository's models/ folder. */
export const MODELS_DIR = join(workspaceRoot(), 'models');

/** Fails with a clear message when the reference video model is not in models/ (yet). */
export function requireVideoModel(): void {
  if (!existsSync(join(MODELS_DIR, MODEL, 'model.json')))
    throw new Error(
      `models/${MODEL}/model.json is missing: the video worker tests run the real model ` +
        '(tools/models exports it; see tools/models/README.md).',
    );
}

/** A "video" job spec for the reference model. */
export function videoSpec(
  clip: Partial<NonNullable<videoJob.VideoJobSpec['clip']>> = {},
  job: Partial<Omit<videoJob.VideoJobSpec, 'clip'>> = {},
): videoJob.VideoJobSpec {
  return {
    clip: {
      model: { name: MODEL, version: '' },
      digits: [3, 7],
      motions: [],
      frames: 8,
      fps: 8,
      seed: 11,
      sampling: {},
      ...clip,
    },
    chunkFrames: 0,
    outputFormat: 'gif',
    ...job,
  };
}

/** One JSON log line of a worker. */
export interface LogLine {
  readonly msg: string;
  readonly time: number;
  readonly [field: string]: unknown;
}

/** A `video-worker` process started from source, the way it runs in production. */
export class WorkerProcess {
  private constructor(
    private readonly spawned: SpawnedService,
    /** Id the worker reports in statuses and logs. */
    readonly workerId: string,
  ) {}

  /** Spawns `apps/video-worker/src/main.ts` with `env` and waits until it has joined the group. */
  static async start(env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<WorkerProcess> {
    const spawned = await spawnService(
      join(workspaceRoot(), 'apps/video-worker/src/main.ts'),
      env as Record<string, string>,
      { waitForHealth: false },
    );
    const ready = () => parseLogs(spawned.output()).find((l) => l.msg === 'video worker ready');
    try {
      await until(
        'video worker ready',
        () => {
          if (spawned.process.exitCode !== null)
            throw new Error(`worker exited with ${spawned.process.exitCode}:\n${spawned.output()}`);
          return ready() !== undefined;
        },
        timeoutMs,
      );
    } catch (error) {
      spawned.process.kill('SIGKILL');
      throw error;
    }
    return new WorkerProcess(spawned, String(ready()?.['workerId']));
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.spawned.process.exitCode === null && this.spawned.process.signalCode === null;
  }

  /** Resolves with the exit code. */
  get exited(): Promise<number | null> {
    return this.spawned.exited;
  }

  /** Everything the process wrote. */
  output(): string {
    return this.spawned.output();
  }

  /** Its JSON log lines, those with message `msg` when given. */
  logs(msg?: string): LogLine[] {
    const lines = parseLogs(this.spawned.output());
    return msg === undefined ? lines : lines.filter((l) => l.msg === msg);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.spawned.process.kill(signal);
  }
}

function parseLogs(output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // A line cut by a write still in progress; it is complete on the next read.
    }
  }
  return lines;
}

/** Chunk indices stored per job, from the `chunk stored` lines of `workers` (redone chunks repeat). */
export function chunkWrites(workers: readonly WorkerProcess[], jobId: string): number[] {
  return workers
    .flatMap((w) => w.logs('chunk stored'))
    .filter((l) => l['jobId'] === jobId)
    .sort((a, b) => a.time - b.time)
    .map((l) => Number(l['chunk']));
}

/**
 * The submitting side of an isolated pipeline on the test broker (its own topics and group):
 * a submitter, the job states rebuilt from the status topic, and readers of the other topics.
 */
export class JobsHarness {
  readonly config: JobsConfig;
  readonly kafka: Kafka;
  readonly store: JobStateStore;
  readonly submitter: JobSubmitter;
  readonly chunks: FsChunkStore;
  private readonly producer: Producer;
  private readonly admin: Admin;

  private constructor(readonly env: NodeJS.ProcessEnv) {
    this.config = loadJobsConfig(env);
    this.kafka = createKafka(this.config);
    this.producer = createIdempotentProducer(this.kafka);
    this.admin = this.kafka.admin();
    this.store = new JobStateStore(this.kafka, this.config);
    this.submitter = new JobSubmitter({
      producer: this.producer,
      store: this.store,
      config: this.config,
    });
    this.chunks = new FsChunkStore(this.config.chunkDir);
  }

  static async open(env: NodeJS.ProcessEnv): Promise<JobsHarness> {
    const harness = new JobsHarness(env);
    await harness.admin.connect();
    await ensureTopics(harness.admin, harness.config);
    await harness.producer.connect();
    await harness.store.start();
    return harness;
  }

  /** Submits a video job under `key`. */
  submit(key: string, video: videoJob.VideoJobSpec) {
    return this.submitter.submit({
      idempotencyKey: key,
      kind: 'video',
      params: videoJobParams.pack(video),
    });
  }

  /** Waits until job `jobId` reaches `state`; fails early when it ends in another final state. */
  async waitFor(jobId: string, state: jobs.JobState, timeoutMs = 90_000): Promise<jobs.JobStatus> {
    await until(
      `job ${jobId} ${jobs.JobState[state]}`,
      () => {
        const status = this.store.get(jobId);
        if (status && status.finishedAtMs > 0 && status.state !== state)
          throw new Error(`job ${jobId} ended ${jobs.JobState[status.state]}: ${status.error}`);
        return status?.state === state;
      },
      timeoutMs,
    );
    return this.store.get(jobId) as jobs.JobStatus;
  }

  /** Every record of `topic` (read with a private group), decoded. */
  readAll<T>(topic: string, decode: (b: Buffer) => T): Promise<{ key: string; value: T }[]> {
    return readTopic(this.kafka, this.config, topic, decode);
  }

  /** Status records of `jobId` in the status topic that say `state`. */
  async statusRecords(jobId: string, state: jobs.JobState): Promise<number> {
    const records = await this.readAll(this.config.topics.status, (b) => codecs.status.decode(b));
    return records.filter((r) => r.key === jobId && r.value.state === state).length;
  }

  /** The stored chunks of `jobId`, decoded, in index order. */
  async storedChunks(jobId: string): Promise<VideoChunk[]> {
    const indices = await this.chunks.list(jobId);
    return Promise.all(
      indices.map(async (i) => decodeChunk((await this.chunks.get(jobId, i)) ?? new Uint8Array())),
    );
  }

  async close(): Promise<void> {
    await this.store.stop();
    await this.producer.disconnect();
    // The shared broker keeps its data between runs: leave no test topics behind.
    const { topics } = this.config;
    await this.admin
      .deleteTopics({ topics: [topics.jobs, topics.status, topics.commands, topics.deadLetter] })
      .catch(() => undefined);
    await this.admin.deleteGroups([this.config.workerGroup]).catch(() => undefined);
    await this.admin.disconnect();
    rmSync(this.config.chunkDir, { recursive: true, force: true });
  }
}

/** Frames of an encoded clip file, counted by ffprobe (decoding every frame). */
export function countFrames(fileUri: string): number {
  return probeClip(new URL(fileUri).pathname).frames;
}

/**
 * A model repository in a temporary folder with the reference video model and `broken`: a copy
 * of it whose step graph is cut in half, so loading it fails on every attempt (a poison job).
 */
export function modelsWithBrokenCopy(broken: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nextx-models-'));
  cpSync(join(MODELS_DIR, MODEL), join(dir, MODEL), { recursive: true });
  cpSync(join(MODELS_DIR, MODEL), join(dir, broken), { recursive: true });
  const manifestPath = join(dir, broken, 'model.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    name: string;
    contract: { graphs: Record<string, { file: string }> };
  };
  manifest.name = broken;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  const step = join(dir, broken, manifest.contract.graphs['step']?.file ?? 'step.onnx');
  truncateSync(step, Math.floor(readFileSync(step).length / 2));
  return dir;
}
