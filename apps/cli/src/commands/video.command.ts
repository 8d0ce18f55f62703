import { writeFile } from 'node:fs/promises';
import { TypedGrpcClient } from '@nextx/grpc';
import { commonJob, PROTO_FILES, video } from '@nextx/proto';
import { SingleBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { printModels } from './models.command';
import { DEFAULT_ADDRESSES, intOption } from './options';
import { clientSecurity } from './security';
import { samplingOptions, samplingSettings, type SamplingFlags } from './sampling';

function videoClient(address: string) {
  return new TypedGrpcClient<video.VideoGenerationClient>(
    address,
    PROTO_FILES.video,
    `${video.protobufPackage}.${video.VIDEO_GENERATION_SERVICE_NAME}`,
    {},
    clientSecurity(),
  );
}

/** `--digits 3,7` → [3, 7]. */
const digitsOption = (raw: string) =>
  raw.split(',').map((part) => {
    const value = Number(part);
    if (!Number.isInteger(value) || value < 0 || value > 9)
      throw new InvalidArgumentError(`"${part}" is not a digit 0-9`);
    return value;
  });

/** `--motion 4,10,2,-1;30,2,-3,1` → one {x, y, vx, vy} per digit. */
const motionOption = (raw: string) =>
  raw.split(';').map((group) => {
    const values = group.split(',').map(Number);
    if (values.length !== 4 || values.some((v) => !Number.isInteger(v)))
      throw new InvalidArgumentError(`"${group}" is not x,y,vx,vy (integers)`);
    const [x, y, vx, vy] = values;
    return { x, y, vx, vy };
  });

/** The container implied by an output file name. */
function formatOf(path: string): 'mp4' | 'gif' {
  if (path.endsWith('.mp4')) return 'mp4';
  if (path.endsWith('.gif')) return 'gif';
  throw new InvalidArgumentError(`--out ${path}: expected a .mp4 or .gif file name`);
}

/** Options shared by `generate` and `submit`: what clip to make. */
function clipOptions(command: Command): Command {
  return samplingOptions(command, false)
    .option('-m, --model <name>', 'video model', 'nbp-mmnist')
    .requiredOption('-d, --digits <list>', 'digits of the clip, e.g. 3,7', digitsOption)
    .option(
      '--motion <list>',
      'initial x,y,vx,vy per digit, ";"-separated (default: from the seed)',
      motionOption,
    )
    .option('-f, --frames <n>', 'frames to generate', intOption(1), 32)
    .option('--fps <n>', 'frames per second of the clip', intOption(1, 60), 8)
    .option('--seed <n>', 'seed (0 = random)', intOption(0), 0)
    .option('--addr <host:port>', 'video service address', DEFAULT_ADDRESSES.video);
}

function clipSpec(o: Record<string, never>) {
  const opts = o as unknown as {
    model: string;
    digits: number[];
    motion?: { x: number; y: number; vx: number; vy: number }[];
    frames: number;
    fps: number;
    seed: number;
  } & SamplingFlags;
  return {
    model: { name: opts.model, version: '' },
    digits: opts.digits,
    motions: opts.motion ?? [],
    frames: opts.frames,
    fps: opts.fps,
    seed: opts.seed,
    sampling: samplingSettings(opts),
  };
}

const STATE_NAMES: Record<string, string> = Object.fromEntries(
  Object.values(commonJob.JobState).map((s) => [
    s,
    String(s).replace('JOB_STATE_', '').toLowerCase(),
  ]),
);

function describeJob(job: commonJob.Job): string {
  const parts = [
    `${job.jobId}  ${STATE_NAMES[job.state] ?? job.state}`,
    `chunks ${job.chunksDone}/${job.chunksTotal || '?'}`,
    job.attempts ? `attempts ${job.attempts}` : '',
    job.error ? `error: ${job.error}` : '',
    // Outputs are fetched by job id; where the workers stored them is the service's business.
    job.state === commonJob.JobState.JOB_STATE_SUCCEEDED
      ? `output: nextx video get ${job.jobId} --out <file>`
      : '',
  ];
  return parts.filter(Boolean).join('  ');
}

/** `nextx video …`: clips (generate) and long jobs (submit, watch, get, cancel, list). */
export function videoCommand(): Command {
  const command = new Command('video').description('video generation service');

  clipOptions(command.command('generate'))
    .description('generate a clip; frames stream in with a progress bar, then the clip is written')
    .requiredOption('-o, --out <file>', 'output clip (.mp4 or .gif)')
    .option('--frames-dir <dir>', 'also write every frame as PNG into this folder')
    .option('--timeout <ms>', 'deadline in milliseconds', intOption(1), 600_000)
    .action(async (o) => {
      const client = videoClient(o.addr);
      const bar = new SingleBar(
        {
          format: 'generating |{bar}| {value}/{total} frames  {fps} frames/s',
          stream: process.stderr,
        },
        Presets.shades_classic,
      );
      let started = false;
      try {
        if (o.framesDir)
          await (await import('node:fs/promises')).mkdir(o.framesDir, { recursive: true });
        const stream = client.stream(
          'generateClip',
          { clip: clipSpec(o), format: formatOf(o.out) },
          { timeoutMs: o.timeout },
        );
        const begun = performance.now();
        for await (const message of stream) {
          if (message.frame && o.framesDir) {
            const name = `frame-${String(message.frame.index).padStart(5, '0')}.png`;
            await writeFile(`${o.framesDir}/${name}`, message.frame.png);
          }
          if (message.progress) {
            if (!started) bar.start(message.progress.total, 0, { fps: '-' });
            started = true;
            const fps = message.progress.step / ((performance.now() - begun) / 1000);
            bar.update(message.progress.step, { fps: fps.toFixed(1) });
          }
          if (message.clip) {
            if (started) bar.stop();
            started = false;
            await writeFile(o.out, message.clip.data);
            const used = message.clip.used!;
            const motions = used.motions.map((m) => `${m.x},${m.y},${m.vx},${m.vy}`).join(';');
            process.stdout.write(
              `wrote ${message.clip.frames} frames to ${o.out} (${message.clip.format}, ${message.clip.data.length} bytes; ` +
                `model ${used.model!.name}, digits ${used.digits.join(',')}, motion ${motions}, seed ${used.seed}; ` +
                `${message.clip.steps} model steps, ${message.clip.framesPerSecond.toFixed(1)} frames/s)\n`,
            );
          }
        }
      } finally {
        if (started) bar.stop();
        client.close();
      }
    });

  clipOptions(command.command('submit'))
    .description(
      'submit a long clip as a job (run by the video workers over Kafka); prints the job id',
    )
    .requiredOption('-k, --key <key>', 'idempotency key: resubmitting it returns the same job')
    .option('--chunk-frames <n>', 'frames per chunk (0 = the model context)', intOption(0), 0)
    .option('--format <fmt>', 'mp4 or gif (default: mp4 when the workers have ffmpeg)', '')
    .action(async (o) => {
      const client = videoClient(o.addr);
      try {
        const { job, created } = await client.unary('submitVideoJob', {
          idempotencyKey: o.key,
          clip: clipSpec(o),
          chunkFrames: o.chunkFrames,
          outputFormat: o.format,
        });
        process.stdout.write(`${job!.jobId}\n`);
        process.stderr.write(
          `${created ? 'submitted' : 'already submitted'}: ${describeJob(job!)}\n`,
        );
      } finally {
        client.close();
      }
    });

  command
    .command('watch')
    .description('follow a job until it ends, with a progress bar over its chunks')
    .argument('<job>', 'job id')
    .option('--addr <host:port>', 'video service address', DEFAULT_ADDRESSES.video)
    .action(async (jobId: string, o) => {
      const client = videoClient(o.addr);
      const bar = new SingleBar(
        { format: '{state} |{bar}| {value}/{total} chunks', stream: process.stderr },
        Presets.shades_classic,
      );
      let started = false;
      let last: commonJob.Job | undefined;
      try {
        for await (const { job } of client.stream('watchJob', { jobId, afterSequence: 0 })) {
          last = job!;
          const state = STATE_NAMES[last.state] ?? last.state;
          if (!started && last.chunksTotal > 0) {
            bar.start(last.chunksTotal, last.chunksDone, { state });
            started = true;
          }
          if (started) bar.update(last.chunksDone, { state });
        }
      } finally {
        if (started) bar.stop();
        client.close();
      }
      if (last) process.stdout.write(`${describeJob(last)}\n`);
      if (last?.state !== commonJob.JobState.JOB_STATE_SUCCEEDED) process.exitCode = 2;
    });

  command
    .command('get')
    .description('download the clip of a finished job')
    .argument('<job>', 'job id')
    .requiredOption('-o, --out <file>', 'where to write the clip')
    .option('--addr <host:port>', 'video service address', DEFAULT_ADDRESSES.video)
    .action(async (jobId: string, o) => {
      const client = videoClient(o.addr);
      try {
        const pieces: Uint8Array[] = [];
        let format = '';
        for await (const piece of client.stream('getJobOutput', { jobId, offset: 0 })) {
          if (piece.format) format = piece.format;
          pieces.push(piece.data);
        }
        const data = Buffer.concat(pieces);
        await writeFile(o.out, data);
        process.stdout.write(`wrote ${data.length} bytes (${format}) to ${o.out}\n`);
      } finally {
        client.close();
      }
    });

  command
    .command('cancel')
    .description('cancel a job (it stops within one chunk)')
    .argument('<job>', 'job id')
    .option('--reason <text>', 'why', 'cancelled from the CLI')
    .option('--addr <host:port>', 'video service address', DEFAULT_ADDRESSES.video)
    .action(async (jobId: string, o) => {
      const client = videoClient(o.addr);
      try {
        const { job } = await client.unary('cancelJob', { jobId, reason: o.reason });
        process.stdout.write(`${describeJob(job!)}\n`);
      } finally {
        client.close();
      }
    });

  command
    .command('jobs')
    .description('list jobs, newest first')
    .option('-n, --limit <n>', 'most jobs to show', intOption(1, 1000), 20)
    .option('--addr <host:port>', 'video service address', DEFAULT_ADDRESSES.video)
    .action(async (o) => {
      const client = videoClient(o.addr);
      try {
        const { jobs: list } = await client.unary('listJobs', {
          state: commonJob.JobState.JOB_STATE_UNSPECIFIED,
          pageSize: o.limit,
          pageToken: '',
        });
        for (const job of list) process.stdout.write(`${describeJob(job)}\n`);
      } finally {
        client.close();
      }
    });

  command
    .command('models')
    .description('video models the service has loaded (same as nextx models --service video)')
    .option('--addr <host:port>', 'video service address', DEFAULT_ADDRESSES.video)
    .action(async (o) => printModels('video', o.addr));
  return command;
}
