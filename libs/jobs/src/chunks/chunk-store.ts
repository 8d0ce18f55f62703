/**
 * Where a job's chunks (and its final output) are stored. Writes are idempotent per
 * (job, chunk index): a chunk redone after a crash replaces the earlier copy, so a resumed job
 * never has a chunk twice. The filesystem store is the default; an S3-compatible store
 * implements the same interface with one object per chunk.
 */
export interface ChunkStore {
  /** Stores chunk `index` of `jobId` atomically and resolves with its URI. */
  put(jobId: string, index: number, bytes: Uint8Array): Promise<string>;
  /** Chunk `index` of `jobId`, or undefined when it was never stored. */
  get(jobId: string, index: number): Promise<Uint8Array | undefined>;
  /** Indices of the stored chunks of `jobId`, ascending. */
  list(jobId: string): Promise<number[]>;
  /** Stores a named output file of `jobId` (e.g. `clip.mp4`) atomically and resolves with its URI. */
  putOutput(jobId: string, name: string, bytes: Uint8Array): Promise<string>;
  /** A named output file of `jobId`, or undefined when it was never stored. */
  getOutput(jobId: string, name: string): Promise<Uint8Array | undefined>;
  /**
   * A named output file of `jobId` to stream from storage, never whole in memory; undefined when
   * it was never stored.
   */
  openOutput(jobId: string, name: string): Promise<StoredOutput | undefined>;
  /** Deletes every chunk and output of `jobId`; nothing to delete is not an error. */
  remove(jobId: string): Promise<void>;
}

/** An output file found by {@link ChunkStore.openOutput}. */
export interface StoredOutput {
  /** Size of the whole file, bytes. */
  readonly size: number;
  /** The file's bytes from `offset` (0 … size) on, in pieces of at most `pieceBytes`. */
  read(offset: number, pieceBytes: number): AsyncIterable<Uint8Array>;
}

/** Number of chunks stored without a gap from chunk 0: where a resumed job continues. */
export async function contiguousChunks(
  store: Pick<ChunkStore, 'list'>,
  jobId: string,
): Promise<number> {
  const indices = await store.list(jobId);
  let next = 0;
  for (const index of indices) {
    if (index !== next) break;
    next += 1;
  }
  return next;
}
