import { encodeGif } from './gif-encoder';
import { CLIP_MIME, type ClipFormat, type GreyClip } from './grey-clip';
import { encodeMp4, hasH264Encoder } from './mp4-encoder';

/** An encoded clip. */
export interface EncodedClip {
  readonly data: Buffer;
  readonly format: ClipFormat;
  readonly mimeType: string;
}

/** The container used for `requested`: '' picks MP4 when ffmpeg with libx264 is present, else GIF. */
export function resolveClipFormat(requested: '' | ClipFormat): ClipFormat {
  if (requested) return requested;
  return hasH264Encoder() ? 'mp4' : 'gif';
}

/** Encodes a clip as MP4 (ffmpeg) or GIF; asking for MP4 without ffmpeg throws. */
export async function encodeClip(
  clip: GreyClip,
  format: ClipFormat,
  scale = 4,
): Promise<EncodedClip> {
  if (format === 'mp4' && !hasH264Encoder())
    throw new Error(
      'mp4 needs ffmpeg with libx264 (install it or set FFMPEG_PATH), or ask for gif',
    );
  const data = format === 'mp4' ? await encodeMp4(clip, scale) : encodeGif(clip, scale);
  return { data, format, mimeType: CLIP_MIME[format] };
}
