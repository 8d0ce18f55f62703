import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GifReader } from 'omggif';
import { describe, expect, it } from 'vitest';
import { encodeClip, resolveClipFormat } from './clip-encoder';
import { hasH264Encoder } from './mp4-encoder';
import { probeClip } from './probe-clip';

/** A bright 4×4 square moving one pixel per frame over a 16×16 black frame. */
function movingSquare(frames: number): Float32Array[] {
  return Array.from({ length: frames }, (_, f) => {
    const frame = new Float32Array(16 * 16);
    for (let y = 4; y < 8; y++) for (let x = f; x < f + 4; x++) frame[y * 16 + x] = 1;
    return frame;
  });
}

describe('clip encoders', () => {
  it('writes an animated GIF whose frames decode back to the input', async () => {
    const frames = movingSquare(6);
    const clip = await encodeClip({ frames, size: 16, fps: 10 }, 'gif', 2);
    expect(clip.mimeType).toBe('image/gif');
    const reader = new GifReader(new Uint8Array(clip.data));
    expect([reader.width, reader.height, reader.numFrames()]).toEqual([32, 32, 6]);
    expect(reader.frameInfo(0).delay).toBe(10);
    const rgba = new Uint8Array(32 * 32 * 4);
    reader.decodeAndBlitFrameRGBA(3, rgba);
    // Frame 3: square at x 3..6 → upscaled x 6..13, y 8..15.
    const at = (x: number, y: number) => rgba[(y * 32 + x) * 4];
    expect([at(6, 8), at(13, 15), at(5, 8), at(14, 8), at(6, 7)]).toEqual([255, 255, 0, 0, 0]);
  });

  it.skipIf(!hasH264Encoder())(
    'writes an H.264 MP4 that ffprobe reads with every frame',
    async () => {
      expect(resolveClipFormat('')).toBe('mp4');
      const clip = await encodeClip({ frames: movingSquare(12), size: 16, fps: 8 }, 'mp4', 4);
      const file = join(mkdtempSync(join(tmpdir(), 'nextx-test-')), 'clip.mp4');
      writeFileSync(file, clip.data);
      expect(probeClip(file)).toEqual({
        codec: 'h264',
        width: 64,
        height: 64,
        frames: 12,
        frameRate: '8/1',
      });
    },
  );
});
