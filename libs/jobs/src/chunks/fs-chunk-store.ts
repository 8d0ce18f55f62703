import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChunkStore, StoredOutput } from './chunk-store';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const CHUNK_FILE = /^chunk-(\d{6})\.bin$/;

function checkName(kind: string, name: string): string {
  if (!SAFE_NAME.test(name))
    throw new RangeError(
      `${kind} ${JSON.stringify(name)}: expected [A-Za-z0-9._-], at most 200 characters`,
    );
  return name;
}

/** {@link ChunkStore} on a local (or network) filesystem: `<root>/<jobId>/chunk-000042.bin`. */
export class FsChunkStore implements ChunkStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(jobId: string, index: number, bytes: Uint8Array): Promise<string> {
    return this.write(jobId, this.chunkName(index), bytes);
  }

  async get(jobId: string, index: number): Promise<Uint8Array | undefined> {
    return this.read(jobId, this.chunkName(index));
  }

  async getOutput(jobId: string, name: string): Promise<Uint8Array | undefined> {
    return this.read(jobId, checkName('output name', name));
  }

  async openOutput(jobId: string, name: string): Promise<StoredOutput | undefined> {
    const path = join(this.jobDir(jobId), checkName('output name', name));
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return {
      size,
      async *read(offset, pieceBytes) {
        if (!Number.isSafeInteger(offset) || offset < 0 || offset > size)
          throw new RangeError(`offset ${offset}: expected 0 … ${size}`);
        if (offset === size) return;
        // The file is replaced by rename, never rewritten: `end` keeps to the size reported.
        const stream = createReadStream(path, {
          start: offset,
          end: size - 1,
          highWaterMark: pieceBytes,
        });
        for await (const piece of stream) yield piece as Buffer;
      },
    };
  }

  async remove(jobId: string): Promise<void> {
    await rm(this.jobDir(jobId), { recursive: true, force: true });
  }

  private async read(jobId: string, name: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(join(this.jobDir(jobId), name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(jobId: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.jobDir(jobId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .map((name) => CHUNK_FILE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  async putOutput(jobId: string, name: string, bytes: Uint8Array): Promise<string> {
    return this.write(jobId, checkName('output name', name), bytes);
  }

  private chunkName(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index > 999_999)
      throw new RangeError(`chunk index ${index}: expected an integer in [0, 999999]`);
    return `chunk-${String(index).padStart(6, '0')}.bin`;
  }

  private jobDir(jobId: string): string {
    return join(this.root, checkName('job id', jobId));
  }

  private async write(jobId: string, name: string, bytes: Uint8Array): Promise<string> {
    const dir = this.jobDir(jobId);
    await mkdir(dir, { recursive: true });
    const path = join(dir, name);
    // Write then rename: a crash mid-write never leaves a torn chunk under the final name.
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, bytes);
    await rename(partial, path);
    return pathToFileURL(path).href;
  }
}
