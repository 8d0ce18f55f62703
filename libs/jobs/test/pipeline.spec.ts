import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { jobs } from '@nextx/proto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FsChunkStore,
  IdempotencyConflictError,
  JobStateStore,
  JobSubmitter,
  JobWorker,
  codecs,
  createIdempotentProducer,
  createKafka,
  ensureTopics,
  jobIdFor,
  jobParamsCodec,
  loadJobsConfig,
  type JobHandler,
  type JobOutcome,
  type JobsConfig,
} from '../src';
import { readTopic, testConfig, until } from './support';

const S = jobs.JobState;

/** One isolated pipeline (own topics) with a submitter and helpers; closed after each test. */
class Pipeline {
  readonly kafka: Kafka;
  readonly store: JobStateStore;
  readonly submitter: JobSubmitter;
  readonly workers: JobWorker[] = [];
  readonly producer: Producer;
  private admin: Admin;

  private constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly config: JobsConfig,
  ) {
    this.kafka = createKafka(config);
    this.producer = createIdempotentProducer(this.kafka);
    this.admin = this.kafka.admin();
    this.store = new JobStateStore(this.kafka, config);
    this.submitter = new JobSubmitter({ producer: this.producer, store: this.store, config });
  }

  static async open(name: string, extra: NodeJS.ProcessEnv = {}): Promise<Pipeline> {
    const { env: base } = testConfig(name);
    const env = { ...base, ...extra };
    const p = new Pipeline(env, loadJobsConfig(env));
    await p.admin.connect();
    await ensureTopics(p.admin, p.config);
    await p.producer.connect();
    await p.store.start();
    return p;
  }

  get adminClient(): Admin {
    return this.admin;
  }

  async worker(handler: JobHandler, outcomes: JobOutcome[] = []): Promise<JobWorker> {
    const worker = new JobWorker({
      kafka: this.kafka,
      config: this.config,
      chunks: new FsChunkStore(this.config.chunkDir),
    });
    worker.on('job', (o) => outcomes.push(o));
    this.workers.push(worker);
    await worker.run(handler);
    return worker;
  }

  /** Every record of `topic` (read with a private group), decoded by `decode`. */
  readAll<T>(topic: string, decode: (b: Buffer) => T): Promise<{ key: string; value: T }[]> {
    return readTopic(this.kafka, this.config, topic, decode);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.store.stop();
    await this.producer.disconnect();
    // The shared broker keeps its data between runs: leave no test topics behind.
    const { topics } = this.config;
    await this.admin
      .deleteTopics({ topics: [topics.jobs, topics.status, topics.commands, topics.deadLetter] })
      .catch(() => undefined);
    await this.admin.deleteGroups([this.config.workerGroup]).catch(() => undefined);
    await this.admin.disconnect();
  }
}

/** Parameters of a test job: its frame count, in a message of its own as a modality's would be. */
const frameCount = jobParamsCodec<{ value: number }>(
  'google/protobuf/wrappers.proto',
  'google.protobuf.UInt32Value',
);
const params = (frames = 8) => frameCount.pack({ value: frames });

let open: Pipeline[] = [];
afterEach(async () => {
  await Promise.all(open.map((p) => p.close()));
  open = [];
});
async function pipeline(name: string, extra?: NodeJS.ProcessEnv): Promise<Pipeline> {
  const p = await Pipeline.open(name, extra);
  open.push(p);
  return p;
}

describe('Kafka job pipeline (real broker from KAFKA_BROKERS)', () => {
  it('creates the topics with explicit partitions, retention and compaction, idempotently', async () => {
    const p = await pipeline('topics');
    const { topics } = p.config;
    expect((await ensureTopics(p.adminClient, p.config)).created).toEqual([]);
    const meta = await p.adminClient.fetchTopicMetadata({
      topics: [topics.jobs, topics.status, topics.commands, topics.deadLetter],
    });
    const partitions = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual({
      [topics.jobs]: 6,
      [topics.status]: 6,
      [topics.commands]: 1,
      [topics.deadLetter]: 1,
    });
    const described = await p.adminClient.describeConfigs({
      includeSynonyms: false,
      resources: [topics.jobs, topics.status, topics.deadLetter].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms'],
      })),
    });
    const config = Object.fromEntries(
      described.resources.map((r) => [
        r.resourceName,
        Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue])),
      ]),
    );
    expect(config[topics.jobs]).toEqual({
      'cleanup.policy': 'delete',
      'retention.ms': String(7 * 24 * 3600 * 1000),
    });
    expect(config[topics.status]!['cleanup.policy']).toBe('compact');
    expect(config[topics.deadLetter]!['retention.ms']).toBe(String(30 * 24 * 3600 * 1000));
  });

  it('the same idempotency key twice (and concurrently) makes one job; with another spec it is refused', async () => {
    const p = await pipeline('idem');
    const first = await p.submitter.submit({
      idempotencyKey: 'clip-42',
      kind: 'video',
      params: params(),
    });
    const again = await p.submitter.submit({
      idempotencyKey: 'clip-42',
      kind: 'video',
      params: params(),
    });
    await expect(
      p.submitter.submit({ idempotencyKey: 'clip-42', kind: 'video', params: params(99) }),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
    const [c1, c2] = await Promise.all([
      p.submitter.submit({ idempotencyKey: 'clip-43', kind: 'video', params: params() }),
      p.submitter.submit({ idempotencyKey: 'clip-43', kind: 'video', params: params() }),
    ]);
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.job.jobId).toBe(first.job.jobId);
    expect(first.job.jobId).toBe(jobIdFor('clip-42'));
    expect([c1.created, c2.created].sort()).toEqual([false, true]);
    const specs = await p.readAll(p.config.topics.jobs, (b) => codecs.spec.decode(b));
    expect(specs.map((s) => s.value.idempotencyKey).sort()).toEqual(['clip-42', 'clip-43']);
    expect(specs.find((s) => s.key === first.job.jobId)!.value.params).toEqual(params());
  });

  it('a handler that always throws: dead-letter topic after N attempts, DEAD_LETTERED, other jobs unaffected', async () => {
    const p = await pipeline('dlq');
    const poison = jobIdFor('poison');
    const calls = new Map<string, number>();
    const outcomes: JobOutcome[] = [];
    await p.worker(async (job) => {
      calls.set(job.spec.jobId, (calls.get(job.spec.jobId) ?? 0) + 1);
      if (job.spec.jobId === poison)
        throw new Error(`decoder exploded on attempt ${job.attempt + 1}`);
      await job.checkpoint(0, Buffer.from('ok'));
    }, outcomes);
    const watched: { state: jobs.JobState; attempts: number }[] = [];
    const watching = (async () => {
      for await (const s of p.store.watch(poison))
        watched.push({ state: s.state, attempts: s.attempts });
    })();
    await p.submitter.submit({ idempotencyKey: 'poison', kind: 'video', params: params() });
    // A record that is not a JobSpec at all (a length prefix running past the end).
    await p.producer.send({
      topic: p.config.topics.jobs,
      messages: [{ key: 'garbage', value: Buffer.from([0x0a, 0xff]) }],
    });
    const healthy = await Promise.all(
      ['fine-1', 'fine-2', 'fine-3'].map((k) =>
        p.submitter.submit({ idempotencyKey: k, kind: 'video', params: params() }),
      ),
    );
    await until(
      'poison dead-lettered',
      () => p.store.get(poison)?.state === S.JOB_STATE_DEAD_LETTERED,
    );
    await until('healthy jobs done', () =>
      healthy.every((h) => p.store.get(h.job.jobId)?.state === S.JOB_STATE_SUCCEEDED),
    );
    expect(calls.get(poison)).toBe(p.config.maxAttempts);
    // watch() streams every status of the job and ends at the final one.
    await watching;
    expect(watched[0]).toEqual({ state: S.JOB_STATE_QUEUED, attempts: 0 });
    expect(watched.at(-1)).toEqual({ state: S.JOB_STATE_DEAD_LETTERED, attempts: 3 });
    expect(watched.filter((w) => w.state === S.JOB_STATE_RUNNING).map((w) => w.attempts)).toEqual([
      0, 1, 1, 2, 2, 3,
    ]);
    for (const h of healthy) expect(calls.get(h.job.jobId)).toBe(1);
    const status = p.store.get(poison)!;
    expect(status).toMatchObject({ attempts: 3, error: 'decoder exploded on attempt 3' });
    await until('garbage dead-lettered', () => outcomes.some((o) => o.jobId === 'garbage'));
    const letters = await p.readAll(p.config.topics.deadLetter, (b) => codecs.deadLetter.decode(b));
    expect(letters.map((l) => l.key).sort()).toEqual(['garbage', poison].sort());
    const poisoned = letters.find((l) => l.key === poison)!;
    expect(poisoned.value).toMatchObject({
      attempts: 3,
      error: 'decoder exploded on attempt 3',
      spec: { idempotencyKey: 'poison' },
    });
    expect(letters.find((l) => l.key === 'garbage')!.value.error).toMatch(/^unreadable JobSpec: /);
  });

  it('cancel stops a running job within one chunk (CANCELLED) and a queued job never runs', async () => {
    const p = await pipeline('cancel');
    const stored: { index: number; at: number }[] = [];
    await p.worker(async (job) => {
      for (let i = job.nextChunk; i < 40; i++) {
        await sleep(400, undefined, { signal: job.signal });
        await job.checkpoint(i, Buffer.from(`chunk ${i}`));
        stored.push({ index: i, at: Date.now() });
      }
    });
    const { job } = await p.submitter.submit({
      idempotencyKey: 'long',
      kind: 'video',
      params: params(80),
    });
    await until('two chunks stored', () => stored.length >= 2);
    const before = await p.submitter.cancel(job.jobId, 'user pressed stop');
    const cancelledAt = Date.now();
    expect(before?.state).toBe(S.JOB_STATE_RUNNING);
    await until(
      'job cancelled',
      () => p.store.get(job.jobId)?.state === S.JOB_STATE_CANCELLED,
      10_000,
    );
    const after = stored.filter((s) => s.at > cancelledAt);
    expect(after.length).toBeLessThanOrEqual(1);
    expect(p.store.get(job.jobId)).toMatchObject({ error: 'user pressed stop' });
    console.log(
      `cancel: ${stored.length} chunks stored, ${after.length} after the cancel request, CANCELLED after ${Date.now() - cancelledAt} ms`,
    );

    await p.workers[0]!.stop();
    const queued = await p.submitter.submit({
      idempotencyKey: 'queued',
      kind: 'video',
      params: params(),
    });
    expect((await p.submitter.cancel(queued.job.jobId))?.state).toBe(S.JOB_STATE_CANCELLED);
    const ran: string[] = [];
    const outcomes: JobOutcome[] = [];
    await p.worker(async (j) => void ran.push(j.spec.jobId), outcomes);
    await until('queued job seen', () => outcomes.some((o) => o.jobId === queued.job.jobId));
    expect(ran).toEqual([]);
    expect(outcomes.find((o) => o.jobId === queued.job.jobId)!.outcome).toBe('skipped');
  });

  it('a worker killed with SIGKILL mid-job: another resumes from the last checkpoint, no chunk lost or doubled', async () => {
    const p = await pipeline('crash');
    const chunks = 10;
    const fixture = fileURLToPath(new URL('./fixtures/slow-worker.ts', import.meta.url));
    const spawnWorker = (): Promise<ChildProcess> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
          // The repository root: tsx reads the root tsconfig.json (paths, decorators) from there.
          cwd: fileURLToPath(new URL('../../..', import.meta.url)),
          env: { ...process.env, ...p.env, CHUNK_MS: '300', JOB_CHUNKS: String(chunks) },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        child.stdout!.on('data', (d: Buffer) => {
          if (String(d).includes('READY')) resolve(child);
        });
        child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
      });
    const first = await spawnWorker();
    const { job } = await p.submitter.submit({
      idempotencyKey: 'crash-me',
      kind: 'video',
      params: params(20),
    });
    await until(
      '3 checkpoints',
      () => (p.store.get(job.jobId)?.lastCheckpoint?.chunkIndex ?? -1) >= 2,
    );
    const checkpointAtKill = p.store.get(job.jobId)!.lastCheckpoint!.chunkIndex;
    first.kill('SIGKILL');
    const killedAt = Date.now();
    const second = await spawnWorker();
    try {
      await until(
        'job succeeded',
        () => p.store.get(job.jobId)?.state === S.JOB_STATE_SUCCEEDED,
        90_000,
      );
    } finally {
      second.kill('SIGTERM');
    }
    const done = p.store.get(job.jobId)!;
    const events = (await readFile(join(p.config.chunkDir, `${job.jobId}.events`), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.split(' '));
    const workers = [...new Set(events.map(([w]) => w))];
    expect(workers).toHaveLength(2);
    const byFirst = events.filter(([w]) => w === workers[0]).map(([, i]) => Number(i));
    const bySecond = events.filter(([w]) => w === workers[1]).map(([, i]) => Number(i));
    // The second worker starts right after the last chunk the first one stored: at most one chunk redone.
    expect(bySecond[0]).toBeGreaterThan(checkpointAtKill);
    expect(bySecond[0]).toBeLessThanOrEqual(byFirst.at(-1)! + 1);
    expect(bySecond.at(-1)).toBe(chunks - 1);
    const store = new FsChunkStore(p.config.chunkDir);
    expect(await store.list(job.jobId)).toEqual(Array.from({ length: chunks }, (_, i) => i));
    const output = await readFile(new URL(done.outputUri), 'utf8');
    expect(output.split('\n')).toEqual(Array.from({ length: chunks }, (_, i) => `chunk ${i}`));
    expect(done.attempts).toBe(1);
    expect(done.workerId).toBe(workers[1]);
    const statuses = await p.readAll(p.config.topics.status, (b) => codecs.status.decode(b));
    expect(
      statuses.filter((s) => s.key === job.jobId && s.value.state === S.JOB_STATE_SUCCEEDED),
    ).toHaveLength(1);
    console.log(
      `crash: first worker stored chunks ${byFirst.join(',')}; second resumed at ${bySecond[0]}; ` +
        `done ${Date.now() - killedAt} ms after SIGKILL`,
    );

    // A fresh store rebuilds every job from the compacted status topic.
    const fresh = new JobStateStore(p.kafka, p.config, {
      groupPrefix: `${p.config.clientId}.fresh`,
    });
    await fresh.start();
    try {
      expect(fresh.get(job.jobId)).toEqual(p.store.get(job.jobId));
      expect(fresh.list().map((s) => s.jobId)).toEqual(p.store.list().map((s) => s.jobId));
    } finally {
      await fresh.stop();
    }
  });

  it('stop() mid-job (SIGTERM path) hands the job back: another worker resumes it from the checkpoint', async () => {
    const p = await pipeline('handback');
    const generated: { worker: string; index: number }[] = [];
    const outcomes: JobOutcome[] = [];
    const handler: JobHandler = async (job) => {
      for (let i = job.nextChunk; i < 8; i++) {
        await sleep(300, undefined, { signal: job.signal });
        generated.push({ worker: job.workerId, index: i });
        await job.checkpoint(i, Buffer.from(`chunk ${i}`));
      }
    };
    const a = await p.worker(handler, outcomes);
    const { job } = await p.submitter.submit({ idempotencyKey: 'hand-me-back', kind: 'video' });
    await until('a has two chunks', () => generated.length >= 2);
    const b = await p.worker(handler, outcomes);
    // b's join rebalances the group; a either keeps the partition or hands the job to b.
    await until(
      'a still running or handed back',
      () => generated.length >= 3 || outcomes.length > 0,
    );
    const holder = p.store.get(job.jobId)!.workerId === a.workerId ? a : b;
    await holder.stop();
    // The SUCCEEDED status can reach the store before the worker emits its outcome event.
    await until(
      'job succeeded',
      () =>
        p.store.get(job.jobId)?.state === S.JOB_STATE_SUCCEEDED &&
        outcomes.some((o) => o.outcome === 'succeeded'),
      60_000,
    );
    const indices = generated.map((g) => g.index);
    expect([...new Set(indices)].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // At most the one chunk in flight at the hand-back is generated twice.
    expect(indices.length - new Set(indices).size).toBeLessThanOrEqual(1);
    expect(outcomes.filter((o) => o.outcome === 'handed-back').length).toBeGreaterThanOrEqual(1);
    expect(outcomes.filter((o) => o.outcome === 'succeeded')).toHaveLength(1);
    expect(p.store.get(job.jobId)!.attempts).toBe(0);
    console.log(
      `handback: chunks by worker ${generated.map((g) => `${g.worker === a.workerId ? 'a' : 'b'}${g.index}`).join(' ')}`,
    );
  });

  it('retention: the chunks, output and status of a finished job are deleted after JOBS_OUTPUT_RETENTION_MS, a running one is kept', async () => {
    const p = await pipeline('retention', {
      JOBS_OUTPUT_RETENTION_MS: '1500',
      JOBS_RETENTION_SWEEP_INTERVAL_MS: '200',
    });
    const chunks = new FsChunkStore(p.config.chunkDir);
    const release = new AbortController();
    const handler: JobHandler = async (job) => {
      await job.checkpoint(0, Buffer.from('c0'));
      if (job.spec.idempotencyKey === 'keep-running')
        await new Promise((resolve) => {
          release.signal.addEventListener('abort', resolve);
          job.signal.addEventListener('abort', resolve);
        });
      return { outputUri: await job.chunks.putOutput(job.spec.jobId, 'out.bin', Buffer.from('o')) };
    };
    await p.worker(handler);
    const { job: done } = await p.submitter.submit({ idempotencyKey: 'expire-me', kind: 'video' });
    await until(
      'the job to succeed',
      () => p.store.get(done.jobId)?.state === S.JOB_STATE_SUCCEEDED,
    );
    const finishedAt = p.store.get(done.jobId)!.finishedAtMs;
    expect(await chunks.list(done.jobId)).toEqual([0]);
    const { job: running } = await p.submitter.submit({
      idempotencyKey: 'keep-running',
      kind: 'video',
    });
    await until('the job to be gone', () => p.store.get(done.jobId) === undefined, 20_000);
    expect(Date.now() - finishedAt).toBeGreaterThanOrEqual(1500);
    expect(await chunks.list(done.jobId)).toEqual([]);
    expect(await chunks.getOutput(done.jobId, 'out.bin')).toBeUndefined();
    // A restarted service rebuilding its state from the status topic does not know it either.
    const restarted = new JobStateStore(p.kafka, p.config);
    await restarted.start();
    expect(restarted.get(done.jobId)).toBeUndefined();
    expect(restarted.get(running.jobId)).toBeDefined();
    await restarted.stop();
    // The job still running past the retention keeps its chunks; it expires only once finished.
    await until(
      'the long job to store its chunk',
      async () => (await chunks.list(running.jobId)).length > 0,
    );
    expect(p.store.get(running.jobId)?.state).toBe(S.JOB_STATE_RUNNING);
    expect(await chunks.list(running.jobId)).toEqual([0]);
    release.abort();
  });

  it('fencing: a worker whose job another worker took over or finished meanwhile records nothing', async () => {
    const p = await pipeline('fencing');
    // What a second worker's records look like, written while this worker's handler still runs
    // (what a rebalance during a broker failure produces).
    const writeAsOther = async (jobId: string, state: jobs.JobState) => {
      const newest = p.store.get(jobId)!;
      const record = { ...newest, state, workerId: 'other-worker', updatedAtMs: Date.now() };
      await p.producer.send({
        topic: p.config.topics.status,
        messages: [{ key: jobId, value: codecs.status.encode(record) }],
      });
      await p.store.caughtUp();
    };
    const interfere = new Map<string, jobs.JobState>();
    const runs: string[] = [];
    const outcomes: JobOutcome[] = [];
    const worker = await p.worker(async (job) => {
      runs.push(job.spec.idempotencyKey);
      await job.checkpoint(0, Buffer.from('chunk 0'));
      const state = interfere.get(job.spec.idempotencyKey);
      interfere.delete(job.spec.idempotencyKey);
      if (state !== undefined) await writeAsOther(job.spec.jobId, state);
    }, outcomes);
    interfere.set('finished-elsewhere', S.JOB_STATE_SUCCEEDED);
    interfere.set('taken-over', S.JOB_STATE_RUNNING);
    const finished = await p.submitter.submit({ idempotencyKey: 'finished-elsewhere', kind: 'video' });
    const taken = await p.submitter.submit({ idempotencyKey: 'taken-over', kind: 'video' });
    await until(
      'both jobs ended',
      () =>
        outcomes.some((o) => o.jobId === finished.job.jobId) &&
        outcomes.some((o) => o.jobId === taken.job.jobId && o.outcome === 'succeeded'),
      60_000,
    );
    const statuses = await p.readAll(p.config.topics.status, (b) => codecs.status.decode(b));
    const finals = (jobId: string) =>
      statuses.filter((r) => r.key === jobId && r.value.state === S.JOB_STATE_SUCCEEDED);
    // Finished by the other worker: this one commits and writes no second SUCCEEDED.
    expect(outcomes.filter((o) => o.jobId === finished.job.jobId).map((o) => o.outcome)).toEqual([
      'skipped',
    ]);
    expect(finals(finished.job.jobId).map((r) => r.value.workerId)).toEqual(['other-worker']);
    // Taken over: this delivery records nothing and rewinds; its redelivery finds the other
    // worker's RUNNING claim (a lost worker), resumes and ends the job once.
    expect(outcomes.filter((o) => o.jobId === taken.job.jobId).map((o) => o.outcome)).toEqual([
      'handed-back',
      'succeeded',
    ]);
    expect(finals(taken.job.jobId).map((r) => r.value.workerId)).toEqual([worker.workerId]);
    expect(runs.filter((k) => k === 'taken-over')).toHaveLength(2);
    expect(p.store.get(taken.job.jobId)).toMatchObject({ state: S.JOB_STATE_SUCCEEDED, attempts: 1 });
  });

  it('200 small jobs across 2 workers: all complete, none twice', async () => {
    const p = await pipeline('load');
    const runs = new Map<string, number>();
    const perWorker = new Map<string, number>();
    const handler: JobHandler = async (job) => {
      runs.set(job.spec.jobId, (runs.get(job.spec.jobId) ?? 0) + 1);
      perWorker.set(job.workerId, (perWorker.get(job.workerId) ?? 0) + 1);
      await job.checkpoint(0, Buffer.from(job.spec.idempotencyKey));
    };
    const outcomes: JobOutcome[] = [];
    await Promise.all([p.worker(handler, outcomes), p.worker(handler, outcomes)]);
    const started = Date.now();
    const submitted = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        p.submitter.submit({ idempotencyKey: `small-${i}`, kind: 'video', params: params(2) }),
      ),
    );
    const ids = submitted.map((s) => s.job.jobId);
    await until(
      '200 jobs succeeded',
      () =>
        ids.every((id) => p.store.get(id)?.state === S.JOB_STATE_SUCCEEDED) &&
        outcomes.filter((o) => o.outcome === 'succeeded').length >= 200,
      120_000,
    );
    const elapsed = Date.now() - started;
    expect(new Set(ids).size).toBe(200);
    expect(runs.size).toBe(200);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(outcomes.filter((o) => o.outcome === 'succeeded')).toHaveLength(200);
    expect(perWorker.size).toBe(2);
    console.log(
      `load: 200 jobs in ${elapsed} ms; per worker ${[...perWorker.values()].join(' + ')}`,
    );
  });
});
