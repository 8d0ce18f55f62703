import { execFileSync } from 'node:child_process';
import { ffmpegPath } from './mp4-encoder';

/** What ffprobe reads from a clip file's first video stream. */
export interface ClipProbe {
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  /** Frames decoded (every frame is decoded to count them). */
  readonly frames: number;
  /** Frame rate as ffprobe writes it, e.g. "8/1". */
  readonly frameRate: string;
}

/** The ffprobe next to the configured ffmpeg (or on the PATH). */
function ffprobePath(): string {
  const ffmpeg = ffmpegPath();
  return ffmpeg.endsWith('ffmpeg') ? `${ffmpeg.slice(0, -'ffmpeg'.length)}ffprobe` : 'ffprobe';
}

/** Probes a clip file (MP4, GIF, …) with ffprobe, decoding every frame to count them. */
export function probeClip(path: string): ClipProbe {
  const out = execFileSync(
    ffprobePath(),
    [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,width,height,nb_read_frames,r_frame_rate',
      '-of',
      'json',
      path,
    ],
    { encoding: 'utf8' },
  );
  const stream = (JSON.parse(out) as { streams: Record<string, string | number>[] }).streams[0];
  return {
    codec: String(stream['codec_name']),
    width: Number(stream['width']),
    height: Number(stream['height']),
    frames: Number(stream['nb_read_frames']),
    frameRate: String(stream['r_frame_rate']),
  };
}
