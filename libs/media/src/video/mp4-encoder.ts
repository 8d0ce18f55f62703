import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { greyBytes, type GreyClip } from './grey-clip';

/** The ffmpeg binary: `FFMPEG_PATH`, else `ffmpeg` on the PATH. */
export function ffmpegPath(): string {
  return process.env['FFMPEG_PATH'] || 'ffmpeg';
}

let available: boolean | undefined;

/** Whether ffmpeg runs and has the libx264 encoder (checked once per process). */
export function hasH264Encoder(): boolean {
  if (available === undefined) {
    const probe = spawnSync(ffmpegPath(), ['-hide_banner', '-encoders'], { encoding: 'utf8' });
    available = probe.status === 0 && /\blibx264\b/.test(probe.stdout);
  }
  return available;
}

/**
 * MP4 (H.264, yuv420p, faststart) of a grey clip through ffmpeg: raw frames on stdin, upscaled
 * `scale` times by pixel repetition. The file goes through a temporary folder because the MP4
 * index (moov) is written after the frames.
 */
export async function encodeMp4(clip: GreyClip, scale = 4): Promise<Buffer> {
  const side = clip.size * scale;
  const dir = await mkdtemp(join(tmpdir(), 'nextx-mp4-'));
  const out = join(dir, 'clip.mp4');
  try {
    const ffmpeg = spawn(
      ffmpegPath(),
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'gray',
        '-s',
        `${side}x${side}`,
        '-r',
        String(clip.fps),
        '-i',
        'pipe:0',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        '18',
        '-pix_fmt',
        'yuv420p',
        '-movflags',
        '+faststart',
        out,
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let stderr = '';
    ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number>((resolve, reject) => {
      ffmpeg.on('error', reject);
      ffmpeg.on('close', (code) => resolve(code ?? -1));
    });
    ffmpeg.stdin.on('error', () => undefined);
    for (const frame of clip.frames) {
      if (!ffmpeg.stdin.write(greyBytes(frame, clip.size, scale))) {
        await new Promise((resolve) => ffmpeg.stdin.once('drain', resolve));
      }
    }
    ffmpeg.stdin.end();
    const code = await exited;
    if (code !== 0) throw new Error(`ffmpeg exited with ${code}: ${stderr.trim()}`);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
