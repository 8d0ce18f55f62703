import { describe, expect, it } from 'vitest';
import {
  ChunkFormatError,
  decodeChunk,
  encodeChunk,
  readExpectedChunk,
  type VideoChunk,
} from './chunk-codec';

const chunk: VideoChunk = {
  jobId: 'job-0123',
  chunk: 2,
  firstFrame: 8,
  frames: 3,
  tokensPerFrame: 4,
  model: 'nbp-mmnist@1',
  seed: 2 ** 47 + 5,
  codes: Int32Array.from({ length: 12 }, (_, i) => (i * 97) % 512),
};

describe('video chunk bytes', () => {
  it('round-trip every field, codes int32 LE after a 4-aligned JSON header', () => {
    const bytes = encodeChunk(chunk);
    expect(Buffer.from(bytes).toString('latin1', 0, 4)).toBe('NXVC');
    expect(decodeChunk(bytes)).toEqual(chunk);
    // A view into a larger buffer at an odd offset (as a store may hand back) reads the same.
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(decodeChunk(padded.subarray(3))).toEqual(chunk);
  });

  it('refuses codes that are not whole frames, foreign bytes and truncated chunks', () => {
    expect(() => encodeChunk({ ...chunk, codes: new Int32Array(11) })).toThrow(
      /11 codes for 3 frames/,
    );
    expect(() => decodeChunk(Buffer.from('chunk 1'))).toThrow(ChunkFormatError);
    const bytes = encodeChunk(chunk);
    expect(() => decodeChunk(bytes.subarray(0, bytes.length - 4))).toThrow(
      /code bytes, expected 48/,
    );
    expect(() => decodeChunk(bytes.subarray(0, 20))).toThrow(/runs past the end/);
  });

  it('readExpectedChunk names the field that differs from the plan', () => {
    const bytes = encodeChunk(chunk);
    const expected = { jobId: 'job-0123', chunk: 2, firstFrame: 8, frames: 3, tokensPerFrame: 4 };
    expect(readExpectedChunk(bytes, expected).codes).toEqual(chunk.codes);
    expect(() => readExpectedChunk(bytes, { ...expected, firstFrame: 6 })).toThrow(
      'stored chunk 2 of job-0123 has firstFrame 8, expected 6',
    );
    expect(() => readExpectedChunk(bytes, { ...expected, jobId: 'job-other' })).toThrow(/jobId/);
  });
});
