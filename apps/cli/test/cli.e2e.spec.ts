import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnService, workspaceRoot, type SpawnedService } from '@nextx/grpc/testing';
import { deleteTestTopics, testEnv } from '@nextx/jobs/testing';
import { decodeWav, hasH264Encoder, pcm16FromBytes } from '@nextx/media';
import { loadCo2 } from '@nextx/timeseries/testing';
import { GifReader } from 'omggif';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = workspaceRoot();
const nextx = (...args: string[]) => run(join(root, 'bin/nextx'), args, { cwd: root });

describe('nextx CLI against the running timeseries service', () => {
  let service: SpawnedService;
  let address: string;
  let dir: string;

  beforeAll(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    service = await spawnService(
      join(root, 'apps/timeseries-service/src/main.ts'),
      { GRPC_PORT: String(port), METRICS_PORT: '0' },
      { address },
    );
    dir = await mkdtemp(join(tmpdir(), 'nextx-cli-'));
    const co2 = loadCo2();
    const rows = co2.map(
      (v, i) => `${new Date(Date.UTC(1958, 2 + i, 1)).toISOString().slice(0, 10)},${v}`,
    );
    await writeFile(join(dir, 'co2.csv'), ['date,co2', ...rows].join('\n'));
  }, 60_000);

  afterAll(async () => {
    service?.process.kill('SIGTERM');
    await service?.exited;
  });

  it('nextx health reports SERVING and exits 0', async () => {
    const { stdout } = await nextx('health', address);
    expect(stdout.trim()).toBe(`${address}: SERVING`);
  });

  it('nextx health exits non-zero for an unknown service', async () => {
    await expect(nextx('health', address, '--service', 'no.Such')).rejects.toMatchObject({
      code: 1,
    });
  });

  it('nextx describe lists the TimeSeries methods through reflection', async () => {
    const { stdout } = await nextx('describe', address);
    expect(stdout).toContain('nextx.timeseries.v1.TimeSeries\n  Forecast\n  Generate');
  });

  it('nextx models --service timeseries lists the fitting methods and the pretrained forecaster', async () => {
    const { stdout } = await nextx('models', '--service', 'timeseries', '--addr', address);
    const lines = stdout.trim().split('\n');
    expect(lines.map((line) => line.split('  ')[0])).toEqual([
      'auto@1',
      'ar@1',
      'arnet@1',
      'chronos-corpus@1',
    ]);
    expect(lines[2]).toContain('family arnet');
    expect(lines[3]).toContain('family chronos');
  });

  it('nextx forecast --method chronos --holdout 24: a zero-shot forecast scored on the held-out tail', async () => {
    const out = join(dir, 'chronos.csv');
    const { stdout } = await nextx(
      'forecast',
      '--addr',
      address,
      '--file',
      join(dir, 'co2.csv'),
      '--column',
      'co2',
      '--season',
      '12',
      '--method',
      'chronos',
      '--horizon',
      '24',
      '--holdout',
      '24',
      '--out',
      out,
    );
    expect(stdout).toContain('method METHOD_CHRONOS pretrained chronos-corpus@1, context 256');
    expect(stdout).toMatch(/holdout 24 values: MASE \d+\.\d{3}, WQL \d\.\d{4}, CRPS /);
    const rows: Record<string, string>[] = parse(await readFile(out, 'utf8'), { columns: true });
    expect(rows).toHaveLength(24);
  });

  it('nextx forecast writes the forecast CSV with dates and quantiles, and an SVG plot', async () => {
    const out = join(dir, 'forecast.csv');
    const plot = join(dir, 'forecast.svg');
    const { stdout } = await nextx(
      'forecast',
      '--addr',
      address,
      '--file',
      join(dir, 'co2.csv'),
      '--column',
      'co2',
      '--time-column',
      'date',
      '--frequency',
      'MS',
      '--season',
      '12',
      '--method',
      'arnet',
      '--horizon',
      '24',
      '--out',
      out,
      '--plot',
      plot,
    );
    expect(stdout).toContain(`wrote ${out} and ${plot}`);
    const rows: Record<string, string>[] = parse(await readFile(out, 'utf8'), { columns: true });
    expect(rows).toHaveLength(24);
    expect(Object.keys(rows[0])).toEqual(['step', 'time', 'point', 'mean', 'q0.1', 'q0.5', 'q0.9']);
    const lastMonth = new Date(Date.UTC(1958, 2 + loadCo2().length, 1)).toISOString();
    expect(rows[0].time).toBe(lastMonth);
    for (const row of rows) expect(Number(row['q0.1'])).toBeLessThanOrEqual(Number(row['q0.9']));
    const svg = await readFile(plot, 'utf8');
    expect(svg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(svg.match(/<path /g)).toHaveLength(3);
  });

  it("nextx forecast shows the service's INVALID_ARGUMENT message and exits 1", async () => {
    const error = await nextx(
      'forecast',
      '--addr',
      address,
      '--file',
      join(dir, 'co2.csv'),
      '--column',
      'co2',
      '--horizon',
      '24',
      '--order',
      '5000',
      '--out',
      join(dir, 'x.csv'),
    ).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('model.order');
  });

  it('nextx generate writes one column per path', async () => {
    const out = join(dir, 'paths.csv');
    await nextx(
      'generate',
      '--addr',
      address,
      '--file',
      join(dir, 'co2.csv'),
      '--column',
      'co2',
      '--length',
      '36',
      '--paths',
      '3',
      '--out',
      out,
    );
    const rows: Record<string, string>[] = parse(await readFile(out, 'utf8'), { columns: true });
    expect(rows).toHaveLength(36);
    expect(Object.keys(rows[0])).toEqual(['step', 'path1', 'path2', 'path3']);
  });
});

describe('nextx video generate against the running video service', () => {
  let service: SpawnedService;
  let address: string;

  beforeAll(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    service = await spawnService(
      join(root, 'apps/video-service/src/main.ts'),
      { GRPC_PORT: String(port), METRICS_PORT: '0' },
      { address },
    );
  }, 60_000);

  afterAll(async () => {
    service?.process.kill('SIGTERM');
    await service?.exited;
  });

  it('nextx models --service video and nextx video models print the same common ModelInfo lines', async () => {
    const { stdout } = await nextx('models', '--service', 'video', '--addr', address);
    const nbp = stdout.split('\n').find((line) => line.startsWith('nbp-mmnist@'));
    expect(nbp).toContain('family nbp  64px  64 tokens/frame');
    expect(nbp).toMatch(/per-frame agreement 0\.\d+/);
    expect((await nextx('video', 'models', '--addr', address)).stdout).toBe(stdout);
  });

  it('writes the clip (MP4 when ffmpeg is installed, else GIF) and every frame, with the spec it used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nextx-cli-video-'));
    const out = join(dir, hasH264Encoder() ? 'clip.mp4' : 'clip.gif');
    const { stdout } = await nextx(
      'video',
      'generate',
      '--digits',
      '3,7',
      '--frames',
      '32',
      '--seed',
      '4',
      '--out',
      out,
      '--frames-dir',
      join(dir, 'frames'),
      '--addr',
      address,
    );
    expect(stdout).toMatch(
      /^wrote 32 frames to .*clip\.(mp4|gif) \((mp4|gif), \d+ bytes; model nbp-mmnist, digits 3,7, motion -?\d+,-?\d+,-?\d+,-?\d+;-?\d+,-?\d+,-?\d+,-?\d+, seed 4;/,
    );
    const clip = await readFile(out);
    expect(clip.length).toBeGreaterThan(1000);
    const frames = await readdir(join(dir, 'frames'));
    expect(frames).toHaveLength(32);
    await expect(
      nextx(
        'video',
        'generate',
        '--digits',
        '3,7',
        '--frames',
        '100000',
        '--out',
        out,
        '--addr',
        address,
      ),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('clip.frames') });
  }, 180_000);
});

describe('nextx audio generate against the running audio service', () => {
  let service: SpawnedService;
  let address: string;

  beforeAll(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    service = await spawnService(
      join(root, 'apps/audio-service/src/main.ts'),
      { GRPC_PORT: String(port), METRICS_PORT: '0' },
      { address },
    );
  }, 60_000);

  afterAll(async () => {
    service?.process.kill('SIGTERM');
    await service?.exited;
  });

  it('nextx models --service audio lists both note generators with their conditions', async () => {
    const { stdout } = await nextx('models', '--service', 'audio', '--addr', address);
    const ar = stdout.split('\n').find((line) => line.startsWith('musicgen-notes@'));
    expect(ar).toContain('family musicgen  families keyboard,mallet,organ,guitar');
    expect(ar).toContain(
      'pitch 48..72  up to 2 s  16000 Hz, 50 frames/s × 4 codebooks (codec fluid-codec)',
    );
    expect(stdout).toContain('magnet-notes@1  family magnet');
  });

  it('writes a WAV; --stream writes the same samples as raw s16le while they are generated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nextx-cli-audio-'));
    const out = join(dir, 'note.wav');
    const common = [
      '--model',
      'musicgen-notes',
      '--family',
      'guitar',
      '--pitch',
      '60',
      '--seconds',
      '2',
      '--seed',
      '5',
      '--addr',
      address,
    ];
    const { stderr } = await nextx('audio', 'generate', ...common, '--out', out);
    expect(stderr).toMatch(
      /wrote .*note\.wav: 2\.00 s at 16000 Hz \(model musicgen-notes, seed 5, 103 steps, first audio after \d+ ms/,
    );
    const wav = decodeWav(await readFile(out));
    expect(wav.samples).toHaveLength(32000);
    const streamed = await run(
      join(root, 'bin/nextx'),
      ['audio', 'generate', ...common, '--stream'],
      {
        cwd: root,
        encoding: 'buffer',
      },
    );
    const pcm = pcm16FromBytes(new Uint8Array(streamed.stdout));
    expect(pcm).toHaveLength(32000);
    let worst = 0;
    for (let i = 0; i < pcm.length; i++) worst = Math.max(worst, Math.abs(pcm[i] - wav.samples[i]));
    expect(worst).toBeLessThanOrEqual(1);
    await expect(
      nextx(
        'audio',
        'generate',
        '--model',
        'musicgen-notes',
        '--family',
        'kazoo',
        '--pitch',
        '60',
        '--out',
        out,
        '--addr',
        address,
      ),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('note.family') });
  }, 180_000);
});

describe('nextx video submit | watch | get: a long clip as a job through the video service and a worker', () => {
  const env = testEnv('cli-video-jobs') as Record<string, string>;
  let service: SpawnedService;
  let worker: SpawnedService;
  let address: string;

  beforeAll(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    service = await spawnService(
      join(root, 'apps/video-service/src/main.ts'),
      { ...env, GRPC_PORT: String(port), METRICS_PORT: '0' },
      { address },
    );
    worker = await spawnService(
      join(root, 'apps/video-worker/src/main.ts'),
      { ...env, METRICS_PORT: '0' },
      { waitForHealth: false },
    );
  }, 60_000);

  afterAll(async () => {
    for (const p of [worker, service]) {
      p?.process.kill('SIGTERM');
      await p?.exited;
    }
    await deleteTestTopics(env);
  });

  it('submits once per key, watches to SUCCEEDED, downloads a clip with every frame', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nextx-cli-jobs-'));
    const args = [
      'video',
      'submit',
      '--key',
      'cli-clip-1',
      '--digits',
      '4,9',
      '--frames',
      '12',
      '--chunk-frames',
      '4',
      '--format',
      'gif',
      '--seed',
      '8',
      '--addr',
      address,
    ];
    const first = await nextx(...args);
    const jobId = first.stdout.trim();
    expect(jobId).toMatch(/^job-[0-9a-f]{32}$/);
    expect(first.stderr).toContain('submitted');
    const again = await nextx(...args);
    expect(again.stdout.trim()).toBe(jobId);
    expect(again.stderr).toContain('already submitted');
    const watched = await nextx('video', 'watch', jobId, '--addr', address);
    expect(watched.stdout).toMatch(new RegExp(`^${jobId}  succeeded  chunks 3/3`));
    const out = join(dir, 'long.gif');
    const got = await nextx('video', 'get', jobId, '--out', out, '--addr', address);
    expect(got.stdout).toContain('(gif)');
    expect(new GifReader(new Uint8Array(await readFile(out))).numFrames()).toBe(12);
    const listed = await nextx('video', 'jobs', '--addr', address);
    expect(listed.stdout).toContain(`${jobId}  succeeded`);
    // The job is shown and fetched by its id: no worker host, no path of the chunk store.
    for (const shown of [watched.stdout, listed.stdout]) {
      expect(shown).toContain(`output: nextx video get ${jobId}`);
      expect(shown).not.toContain('file:');
      expect(shown).not.toContain(env['JOBS_CHUNK_DIR']);
      expect(shown).not.toContain(`${hostname()}-`);
    }
  }, 180_000);
});
