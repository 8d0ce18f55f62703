/** The eight bytes every PNG file starts with. */
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** What a PNG's IHDR chunk declares, read without decoding anything. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
}

/** Limits a PNG must meet before it is decoded. */
export interface PngLimits {
  /** Largest width and height accepted, in pixels. */
  readonly maxSide: number;
  /** Largest decoded size accepted, in bytes of RGBA (what the decoder allocates). */
  readonly maxDecodedBytes: number;
}

/** Thrown when bytes are not a PNG, or declare an image larger than the limits. */
export class PngRejectedError extends Error {
  override readonly name = 'PngRejectedError';

  /**
   * @param reason what was wrong, e.g. `declares 65535×65535`
   * @param header the header, when the bytes had one
   */
  constructor(
    readonly reason: string,
    readonly header?: PngHeader,
  ) {
    super(`PNG rejected: ${reason}`);
  }
}

/**
 * Reads the IHDR chunk (signature, then length 13, `IHDR`, width and height at bytes 16..24, bit
 * depth, colour type). Throws {@link PngRejectedError} when the bytes are not a PNG.
 */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b))
    throw new PngRejectedError('not a PNG (no PNG signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (view.getUint32(8) !== 13 || type !== 'IHDR')
    throw new PngRejectedError('not a PNG (no IHDR chunk first)');
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: bytes[24],
    colorType: bytes[25],
  };
}

/**
 * Checks what the header declares against `limits` before a byte is inflated, so a small file
 * declaring a huge image costs nothing. Returns the header; throws {@link PngRejectedError}.
 */
export function checkPngHeader(bytes: Uint8Array, limits: PngLimits): PngHeader {
  const header = readPngHeader(bytes);
  const { width, height } = header;
  if (width < 1 || height < 1 || width > limits.maxSide || height > limits.maxSide)
    throw new PngRejectedError(
      `declares ${width}×${height} (limit: sides 1 … ${limits.maxSide})`,
      header,
    );
  if (width * height * 4 > limits.maxDecodedBytes)
    throw new PngRejectedError(
      `declares ${width}×${height}, ${width * height * 4} decoded bytes (limit: ${limits.maxDecodedBytes})`,
      header,
    );
  return header;
}
