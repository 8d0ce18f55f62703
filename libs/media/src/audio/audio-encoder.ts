import { spawn, spawnSync } from 'node:child_process';
import { ffmpegPath } from '../video/mp4-encoder';
import { pcm16Bytes } from './pcm';
import { encodeWav, type Pcm16Clip } from './wav';

/** Containers a generated clip can be sent in. */
export type AudioFormat = 'wav' | 'flac' | 'ogg-opus';

const FFMPEG_ENCODERS: Record<Exclude<AudioFormat, 'wav'>, { encoder: string; args: string[] }> = {
  flac: { encoder: 'flac', args: ['-c:a', 'flac', '-f', 'flac'] },
  'ogg-opus': { encoder: 'libopus', args: ['-c:a', 'libopus', '-b:a', '48k', '-f', 'ogg'] },
};

const available = new Map<string, boolean>();

/** Whether `format` can be written here: WAV always, FLAC and Ogg/Opus when ffmpeg has the encoder. */
export function canEncodeAudio(format: AudioFormat): boolean {
  if (format === 'wav') return true;
  const { encoder } = FFMPEG_ENCODERS[format];
  let ok = available.get(encoder);
  if (ok === undefined) {
    const probe = spawnSync(ffmpegPath(), ['-hide_banner', '-encoders'], { encoding: 'utf8' });
    ok = probe.status === 0 && new RegExp(`\\b${encoder}\\b`).test(probe.stdout);
    available.set(encoder, ok);
  }
  return ok;
}

/** Encodes a clip: WAV in process, FLAC and Ogg/Opus through ffmpeg (raw s16le on stdin). */
export async function encodeAudio(clip: Pcm16Clip, format: AudioFormat): Promise<Uint8Array> {
  if (format === 'wav') return encodeWav(clip);
  if (!canEncodeAudio(format))
    throw new Error(`${format} needs ffmpeg with ${FFMPEG_ENCODERS[format].encoder} (or FFMPEG_PATH)`);
  const ffmpeg = spawn(
    ffmpegPath(),
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      's16le',
      '-ar',
      String(clip.sampleRate),
      '-ac',
      '1',
      '-i',
      'pipe:0',
      ...FFMPEG_ENCODERS[format].args,
      'pipe:1',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const out: Buffer[] = [];
  let stderr = '';
  ffmpeg.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    ffmpeg.on('error', reject);
    ffmpeg.on('close', (code) => resolve(code ?? -1));
  });
  ffmpeg.stdin.on('error', () => undefined);
  ffmpeg.stdin.end(pcm16Bytes(clip.samples));
  const code = await exited;
  if (code !== 0) throw new Error(`ffmpeg exited with ${code}: ${stderr.trim().slice(0, 300)}`);
  return new Uint8Array(Buffer.concat(out));
}
