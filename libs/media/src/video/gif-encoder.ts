import { GifWriter } from 'omggif';
import { greyBytes, type GreyClip } from './grey-clip';

const GREY_PALETTE = Array.from({ length: 256 }, (_, v) => (v << 16) | (v << 8) | v);

/** Animated GIF of a grey clip (256-grey palette, loops forever), frames upscaled `scale` times. */
export function encodeGif(clip: GreyClip, scale = 4): Buffer {
  const side = clip.size * scale;
  // Worst case of GIF's LZW output is a little over one byte per pixel, plus headers.
  const buffer = Buffer.alloc(2048 + clip.frames.length * (side * side * 2 + 1024));
  const writer = new GifWriter(buffer, side, side, { loop: 0, palette: GREY_PALETTE });
  // GIF delays are in hundredths of a second.
  const delay = Math.max(2, Math.round(100 / clip.fps));
  for (const frame of clip.frames) {
    writer.addFrame(0, 0, side, side, Array.from(greyBytes(frame, clip.size, scale)), { delay });
  }
  return buffer.subarray(0, writer.end());
}
