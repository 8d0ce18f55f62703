import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from '@nextx/grpc/testing';
import { codecs, countsAfter } from '@nextx/jobs';
import { testEnv, until, withoutKafkaSecurity } from '@nextx/jobs/testing';
import { ConfigResourceTypes, Partitioners, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsHarness, S, WorkerProcess, requireVideoModel, videoSpec } from './support';

const kafkaSh = join(workspaceRoot(), 'tools/kafka/kafka.sh');
/** `kafka.sh cluster …` (the local 3-node cluster); its log lines go to the test's stderr. */
const cluster = (...args: string[]): string =>
  execFileSync('bash', [kafkaSh, 'cluster', ...args], {
    env: withoutKafkaSecurity(process.env),
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  }).trim();

const JOBS = 50;
/** Frames and frames per chunk of each job: 2 chunks, so a broker kill lands inside jobs. */
const FRAMES = 2;
const CHUNK_FRAMES = 1;
const CHUNKS = FRAMES / CHUNK_FRAMES;

/** Leader of each partition of `topic` (index = partition). */
async function leaders(admin: Admin, topic: string): Promise<number[]> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitions = [...(topics[0]?.partitions ?? [])].sort(
    (a, b) => a.partitionId - b.partitionId,
  );
  return partitions.map((p) => p.leader);
}

describe('video jobs on a 3-broker cluster while a broker is killed and restarted (real processes)', () => {
  let harness: JobsHarness | undefined;
  let workers: WorkerProcess[] = [];
  let brokers = '';
  let killed: number | undefined;

  beforeAll(() => {
    requireVideoModel();
    testEnv('guard'); // fails with the KAFKA_BROKERS message when run outside tools/test.sh
    try {
      // Reuses the cluster tools/test.sh started (KAFKA_CLUSTER_BROKERS), or starts one.
      cluster('up', String(process.pid));
    } catch (error) {
      throw new Error(
        `the local 3-node Kafka cluster did not start (bash tools/kafka/kafka.sh cluster up; ` +
          `its log lines are above): ${(error as Error).message}`,
      );
    }
    brokers = process.env['KAFKA_CLUSTER_BROKERS'] || cluster('brokers');
  }, 150_000);
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    // The workers' JSON logs stay for a look at what happened around the kill.
    const logDir = mkdtempSync(join(tmpdir(), 'nextx-cluster-kill-'));
    workers.forEach((w, i) => writeFileSync(join(logDir, `worker-${i + 1}.log`), w.output()));
    if (workers.length) console.log(`cluster-broker-kill: worker logs in ${logDir}`);
    await harness?.close().catch(() => undefined);
    // A failure between kill and restart must not leave the shared cluster one node short.
    if (killed !== undefined) cluster('restart', String(killed));
    cluster('down', String(process.pid));
  }, 120_000);

  it(`${JOBS} jobs across 2 workers: a partition leader is SIGKILLed and restarted, every job completes once`, async () => {
    const t0 = Date.now();
    // testEnv sets no KAFKA_REPLICATION_FACTOR: the replication is derived from the cluster.
    const env = { ...withoutKafkaSecurity(testEnv('cluster-kill')), KAFKA_BROKERS: brokers };
    harness = await JobsHarness.open(env);
    const { topics } = harness.config;
    const admin = harness.kafka.admin();
    await admin.connect();
    try {
      // KAFKA_REPLICATION_FACTOR unset: 3 replicas from the 3 brokers, 2 of them in sync to write.
      const metadata = await admin.fetchTopicMetadata({ topics: [topics.jobs, topics.status] });
      const replicas = metadata.topics.flatMap((t) => t.partitions.map((p) => p.replicas.length));
      expect(new Set(replicas)).toEqual(new Set([3]));
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topics.jobs }],
      });
      const minIsr = described.resources[0]?.configEntries.find(
        (e) => e.configName === 'min.insync.replicas',
      )?.configValue;
      expect(minIsr).toBe('2');

      workers = await Promise.all([WorkerProcess.start(env), WorkerProcess.start(env)]);
      const tReady = Date.now();
      const submitted = await Promise.all(
        Array.from({ length: JOBS }, (_, i) =>
          harness!.submit(
            `cluster-${i}`,
            videoSpec({ frames: FRAMES, seed: i + 1 }, { chunkFrames: CHUNK_FRAMES }),
          ),
        ),
      );
      const ids = submitted.map((s) => s.job.jobId);
      expect(new Set(ids).size).toBe(JOBS);
      const store = harness.store;
      const succeeded = () => ids.filter((id) => store.get(id)?.state === S.JOB_STATE_SUCCEEDED);

      // Mid-run: a job is between its chunks; kill the leader of that job's partition.
      let running: string | undefined;
      await until(
        'a job running after a few completed',
        () => {
          running = ids.find(
            (id) =>
              store.get(id)?.state === S.JOB_STATE_RUNNING &&
              (store.get(id)?.lastCheckpoint?.chunkIndex ?? -1) >= 0,
          );
          return succeeded().length >= 5 && running !== undefined;
        },
        90_000,
      );
      const partitionOf = Partitioners.DefaultPartitioner();
      const before = await leaders(admin, topics.jobs);
      const partition = partitionOf({
        topic: topics.jobs,
        partitionMetadata: before.map((leader, partitionId) => ({
          partitionId,
          leader,
          partitionErrorCode: 0,
          replicas: [],
          isr: [],
        })),
        message: { key: running!, value: null },
      });
      const leaderBefore = before[partition]!;
      const doneAtKill = succeeded().length;
      const tKill = Date.now();
      cluster('kill', String(leaderBefore));
      killed = leaderBefore;

      // The controller fences the dead node and elects another in-sync replica.
      let after: number[] = [];
      await until(
        `a new leader of ${topics.jobs}-${partition}`,
        async () => {
          after = await leaders(admin, topics.jobs).catch(() => []);
          return after[partition] !== undefined && ![leaderBefore, -1].includes(after[partition]!);
        },
        30_000,
      );
      const leaderAfter = after[partition]!;
      const failoverMs = Date.now() - tKill;
      expect(leaderAfter).not.toBe(leaderBefore);
      expect(after).not.toContain(leaderBefore);

      // Jobs go on with two brokers (min.insync.replicas=2 still met), then the node comes back.
      await until(
        'jobs completing on two brokers',
        () => succeeded().length >= Math.min(JOBS, doneAtKill + 5),
        90_000,
      );
      const doneWhileDown = succeeded().length - doneAtKill;
      const tRestart = Date.now();
      cluster('restart', String(leaderBefore));
      killed = undefined;
      const restartMs = Date.now() - tRestart;

      await until(`${JOBS} jobs succeeded`, () => succeeded().length === JOBS, 150_000);
      const tDone = Date.now();
      // The restarted node catches up and is an in-sync replica of every partition again.
      await until(
        `node ${leaderBefore} back in sync`,
        async () => {
          const { topics: t } = await admin.fetchTopicMetadata({ topics: [topics.jobs] });
          return t[0]!.partitions.every((p) => p.isr.includes(leaderBefore));
        },
        60_000,
      );

      // Exactly once: one SUCCEEDED status record and one successful delivery per job; every
      // chunk stored once; nothing dead-lettered.
      await until(
        'every delivery logged',
        () =>
          workers.reduce(
            (n, w) =>
              n + w.logs('job delivery ended').filter((l) => l['outcome'] === 'succeeded').length,
            0,
          ) >= JOBS,
        15_000,
      );
      const perJob = (
        lines: { [field: string]: unknown }[],
        keyOf = (l: { [f: string]: unknown }) => String(l['jobId']),
      ) => {
        const counts = new Map<string, number>();
        for (const line of lines) counts.set(keyOf(line), (counts.get(keyOf(line)) ?? 0) + 1);
        return counts;
      };
      const logs = (msg: string) => workers.flatMap((w) => w.logs(msg));
      const successes = perJob(
        logs('job delivery ended').filter((l) => l['outcome'] === 'succeeded'),
      );
      const outcomes = perJob(logs('job delivery ended'), (l) => String(l['outcome']));
      const chunkWrites = perJob(
        logs('chunk stored'),
        (l) => `${String(l['jobId'])}#${String(l['chunk'])}`,
      );
      const duplicateChunks = [...chunkWrites].filter(([, n]) => n > 1);
      const statuses = await harness.readAll(topics.status, (b) => codecs.status.decode(b));
      // Each job's records replayed as every reader applies them (countsAfter): a final record
      // that lands after another worker already finished the job (its publish waited out the
      // broker outage) is in the topic but counts for no reader; it is reported, not hidden.
      const current = new Map<string, (typeof statuses)[number]['value']>();
      const counted = statuses.filter((s) => {
        if (!countsAfter(current.get(s.key), s.value)) return false;
        current.set(s.key, s.value);
        return true;
      });
      const finalRecords = perJob(
        counted
          .filter((s) => s.value.state === S.JOB_STATE_SUCCEEDED)
          .map((s) => ({ jobId: s.key })),
      );
      const staleFinals = statuses.length - counted.length;
      const deadLetters = await harness.readAll(topics.deadLetter, (b) =>
        codecs.deadLetter.decode(b),
      );
      const stored = await Promise.all(ids.map((id) => harness!.chunks.list(id)));

      // A job without exactly one SUCCEEDED record shows its whole history.
      const history = (id: string) =>
        statuses
          .filter((r) => r.key === id)
          .map(
            (r) =>
              `${S[r.value.state]} ${r.value.chunksDone}/${r.value.chunksTotal} ${r.value.workerId} ${r.value.updatedAtMs} ${r.value.error}`,
          );
      // A rebalance can hand a partition to the other worker while the first still writes a
      // job's output; the worker's fencing (the newest status names the holder) keeps the stale
      // one from recording a second SUCCEEDED, and a record that slipped past it counts for no
      // reader.
      const finalizedTwice = ids
        .filter((id) => (finalRecords.get(id) ?? 0) > 1)
        .map((id) => ({ id, history: history(id) }));
      expect(finalizedTwice).toEqual([]);
      expect(ids.filter((id) => !finalRecords.get(id))).toEqual([]);
      expect(finalRecords.size).toBe(JOBS);
      expect(ids.filter((id) => !successes.get(id))).toEqual([]);
      expect(duplicateChunks).toEqual([]);
      expect(chunkWrites.size).toBe(JOBS * CHUNKS);
      expect(stored.filter((c) => c.join() !== '0,1')).toEqual([]);
      expect(deadLetters).toEqual([]);
      const perWorker = workers.map(
        (w) => w.logs('job delivery ended').filter((l) => l['outcome'] === 'succeeded').length,
      );
      console.log(
        `3-broker kill: ${JOBS} jobs × ${CHUNKS} chunks on 2 workers (${perWorker.join(' + ')}); ` +
          `jobs done ${finalRecords.size} (SUCCEEDED records ${[...finalRecords.values()].reduce((a, b) => a + b, 0)}), ` +
          `chunk writes ${[...chunkWrites.values()].reduce((a, b) => a + b, 0)} for ${chunkWrites.size} chunks, ` +
          `duplicate chunks ${duplicateChunks.length}, finalized twice ${finalizedTwice.length}, stale final records ignored ${staleFinals}, dead letters ${deadLetters.length}, lost ${JOBS - succeeded().length}; ` +
          `deliveries ${[...outcomes].map(([o, n]) => `${o} ${n}`).join(', ')}; ` +
          `killed node ${leaderBefore}, leader of ${topics.jobs}-${partition} (job ${running} running, ${doneAtKill} done): ` +
          `leader ${leaderBefore} -> ${leaderAfter} in ${failoverMs} ms; leaders before [${before.join(',')}] after [${after.join(',')}]; ` +
          `${doneWhileDown} jobs done with the node down; restart ${restartMs} ms; ` +
          `workers up ${tReady - t0} ms, submit→all done ${tDone - tReady} ms, test ${Date.now() - t0} ms`,
      );
    } finally {
      await admin.disconnect();
    }
  }, 300_000);
});
