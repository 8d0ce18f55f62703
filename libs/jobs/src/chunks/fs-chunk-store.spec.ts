import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contiguousChunks } from './chunk-store';
import { FsChunkStore } from './fs-chunk-store';

describe('FsChunkStore', () => {
  it('stores chunks per index (a rewrite replaces), lists them in order and finds the resume point', async () => {
    const store = new FsChunkStore(await mkdtemp(join(tmpdir(), 'chunks-')));
    expect(await store.list('job-a')).toEqual([]);
    for (const i of [2, 0, 1, 1]) await store.put('job-a', i, Buffer.from(`c${i}`));
    await store.put('job-a', 4, Buffer.from('c4'));
    expect(await store.list('job-a')).toEqual([0, 1, 2, 4]);
    expect(await contiguousChunks(store, 'job-a')).toBe(3);
    expect(String(await store.get('job-a', 1))).toBe('c1');
    expect(await store.get('job-a', 3)).toBeUndefined();
    const uri = await store.putOutput('job-a', 'clip.mp4', Buffer.from('mp4'));
    expect(uri).toMatch(/^file:\/\/.*\/job-a\/clip\.mp4$/);
    expect(String(await readFile(new URL(uri)))).toBe('mp4');
    expect(String(await store.getOutput('job-a', 'clip.mp4'))).toBe('mp4');
    expect(await store.getOutput('job-a', 'clip.gif')).toBeUndefined();
    await store.remove('job-a');
    await store.remove('job-a');
    expect(await store.list('job-a')).toEqual([]);
    expect(await store.getOutput('job-a', 'clip.mp4')).toBeUndefined();
  });

  it('streams an output from an offset in pieces, without reading it whole', async () => {
    const store = new FsChunkStore(await mkdtemp(join(tmpdir(), 'chunks-')));
    const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
    await store.putOutput('job-a', 'clip.gif', bytes);
    const output = (await store.openOutput('job-a', 'clip.gif'))!;
    expect(output.size).toBe(10_000);
    const pieces: Buffer[] = [];
    for await (const piece of output.read(1234, 4096)) pieces.push(Buffer.from(piece));
    expect(pieces.map((p) => p.length)).toEqual([4096, 4096, 10_000 - 1234 - 8192]);
    expect(Buffer.concat(pieces).equals(bytes.subarray(1234))).toBe(true);
    const atEnd: Uint8Array[] = [];
    for await (const piece of output.read(10_000, 4096)) atEnd.push(piece);
    expect(atEnd).toEqual([]);
    await expect(output.read(10_001, 4096)[Symbol.asyncIterator]().next()).rejects.toThrow(
      /offset 10001/,
    );
    expect(await store.openOutput('job-a', 'clip.mp4')).toBeUndefined();
  });

  it('refuses names that would leave its directory', async () => {
    const store = new FsChunkStore(await mkdtemp(join(tmpdir(), 'chunks-')));
    await expect(store.put('../etc', 0, Buffer.from('x'))).rejects.toThrow(/job id "..\/etc"/);
    await expect(store.putOutput('job', '../x', Buffer.from('x'))).rejects.toThrow(/output name/);
    await expect(store.put('job', -1, Buffer.from('x'))).rejects.toThrow(/chunk index -1/);
  });
});
