/** A clip of grey frames, each row-major [size, size] with values in [0, 1]. */
export interface GreyClip {
  readonly frames: readonly Float32Array[];
  readonly size: number;
  /** Frames per second. */
  readonly fps: number;
}

/** Encoded clip containers. */
export type ClipFormat = 'mp4' | 'gif';

/** MIME type of each container. */
export const CLIP_MIME: Record<ClipFormat, string> = { mp4: 'video/mp4', gif: 'image/gif' };

/** Frames as 8-bit grey, upscaled `scale` times by pixel repetition (tiny frames stay crisp). */
export function greyBytes(frame: Float32Array, size: number, scale: number): Uint8Array {
  const out = new Uint8Array(size * scale * size * scale);
  const width = size * scale;
  for (let y = 0; y < size * scale; y++) {
    const row = Math.floor(y / scale) * size;
    for (let x = 0; x < width; x++) {
      const v = frame[row + Math.floor(x / scale)];
      out[y * width + x] = Math.max(0, Math.min(255, Math.round(v * 255)));
    }
  }
  return out;
}
