/** What one stored chunk of a video job holds: the codes of its frames and where they belong. */
export interface VideoChunk {
  /** Job the chunk belongs to. */
  readonly jobId: string;
  /** Zero-based chunk index. */
  readonly chunk: number;
  /** Index of the chunk's first frame in the whole clip. */
  readonly firstFrame: number;
  /** Frames in the chunk. */
  readonly frames: number;
  /** Codes per frame (the model's latent grid). */
  readonly tokensPerFrame: number;
  /** Model that generated the codes (`name@version`). */
  readonly model: string;
  /** Seed the chunk was generated with. */
  readonly seed: number;
  /** Frame codes, row-major [frames, tokensPerFrame]. */
  readonly codes: Int32Array;
}

/** A stored chunk that is not a video chunk, or not the one expected. */
export class ChunkFormatError extends Error {
  override readonly name = 'ChunkFormatError';
}

const MAGIC = 'NXVC';
const FORMAT_VERSION = 1;
const HEADER_START = 8;

type ChunkHeader = Omit<VideoChunk, 'codes'> & { readonly version: number };

/**
 * Chunk bytes: `NXVC`, the header length (uint32 LE), a JSON header (every field of
 * {@link VideoChunk} but the codes), zero padding to a multiple of 4, then the codes as int32 LE.
 * The header makes a chunk readable on its own (tools, a resumed worker of another version).
 */
export function encodeChunk(chunk: VideoChunk): Uint8Array {
  if (chunk.codes.length !== chunk.frames * chunk.tokensPerFrame)
    throw new RangeError(
      `chunk ${chunk.chunk}: ${chunk.codes.length} codes for ${chunk.frames} frames of ${chunk.tokensPerFrame}`,
    );
  const { codes, ...fields } = chunk;
  const header = Buffer.from(JSON.stringify({ version: FORMAT_VERSION, ...fields }), 'utf8');
  const codesStart = align4(HEADER_START + header.length);
  const out = Buffer.alloc(codesStart + codes.length * 4);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 4);
  header.copy(out, HEADER_START);
  for (let i = 0; i < codes.length; i++) out.writeInt32LE(codes[i], codesStart + i * 4);
  return out;
}

/** Reads chunk bytes written by {@link encodeChunk}; throws {@link ChunkFormatError} when they are not. */
export function decodeChunk(bytes: Uint8Array): VideoChunk {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_START || buf.toString('latin1', 0, 4) !== MAGIC)
    throw new ChunkFormatError('not a video chunk (no NXVC header)');
  const headerLength = buf.readUInt32LE(4);
  if (HEADER_START + headerLength > buf.length)
    throw new ChunkFormatError(`video chunk header of ${headerLength} bytes runs past the end`);
  let header: ChunkHeader;
  try {
    header = JSON.parse(buf.toString('utf8', HEADER_START, HEADER_START + headerLength));
  } catch (error) {
    throw new ChunkFormatError(`video chunk header is not JSON: ${(error as Error).message}`);
  }
  if (header.version !== FORMAT_VERSION)
    throw new ChunkFormatError(
      `video chunk format version ${header.version}, expected ${FORMAT_VERSION}`,
    );
  const codesStart = align4(HEADER_START + headerLength);
  const count = header.frames * header.tokensPerFrame;
  if (buf.length !== codesStart + count * 4)
    throw new ChunkFormatError(
      `video chunk ${header.chunk}: ${buf.length - codesStart} code bytes, expected ${count * 4}`,
    );
  const codes = new Int32Array(count);
  for (let i = 0; i < count; i++) codes[i] = buf.readInt32LE(codesStart + i * 4);
  return {
    jobId: header.jobId,
    chunk: header.chunk,
    firstFrame: header.firstFrame,
    frames: header.frames,
    tokensPerFrame: header.tokensPerFrame,
    model: header.model,
    seed: header.seed,
    codes,
  };
}

/**
 * Decodes a stored chunk and checks that it is chunk `expected.chunk` of this job's plan (a
 * chunk left by another spec under the same job id would otherwise splice foreign frames in).
 */
export function readExpectedChunk(
  bytes: Uint8Array,
  expected: Pick<VideoChunk, 'jobId' | 'chunk' | 'firstFrame' | 'frames' | 'tokensPerFrame'>,
): VideoChunk {
  const chunk = decodeChunk(bytes);
  for (const key of ['jobId', 'chunk', 'firstFrame', 'frames', 'tokensPerFrame'] as const) {
    if (chunk[key] !== expected[key])
      throw new ChunkFormatError(
        `stored chunk ${expected.chunk} of ${expected.jobId} has ${key} ${JSON.stringify(chunk[key])}, expected ${JSON.stringify(expected[key])}`,
      );
  }
  return chunk;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
