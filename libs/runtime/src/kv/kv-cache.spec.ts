import { describe, expect, it } from 'vitest';
import { KvCache } from './kv-cache';

/** Writes what a graph would: present = concat(past, new), new values = 100·row + position. */
function step(cache: KvCache, added: number): void {
  const past = cache.pastFeeds();
  const present = cache.presentOutputs(added);
  for (const [name, tensor] of Object.entries(present)) {
    const [rows, heads, length, dim] = tensor.dims;
    const old = past[name.replace('present', 'past_key_values')].data as Float32Array;
    const out = tensor.data as Float32Array;
    const before = length - added;
    for (let r = 0; r < rows * heads; r++) {
      for (let t = 0; t < length; t++) {
        for (let d = 0; d < dim; d++) {
          out[(r * length + t) * dim + d] =
            t < before ? old[(r * before + t) * dim + d] : 100 * r + (cache.length + t - before);
        }
      }
    }
  }
  cache.advance(added);
}

const positionsOf = (cache: KvCache, row: number) => {
  const t = cache.pastFeeds()['past_key_values.0.value'];
  const [, heads, length, dim] = t.dims;
  const data = t.data as Float32Array;
  return Array.from(
    { length },
    (_, i) => data[(row * heads * length + i) * dim] - 100 * row * heads,
  );
};

describe('KvCache', () => {
  it('drops the oldest positions of every row in place and keeps appending after them', () => {
    const cache = new KvCache(2, 2, 3, 8, 2);
    cache.reset(2);
    step(cache, 3);
    step(cache, 2);
    expect(positionsOf(cache, 1)).toEqual([0, 1, 2, 3, 4]);
    cache.dropFront(2);
    expect(cache.length).toBe(3);
    expect(positionsOf(cache, 0)).toEqual([2, 3, 4]);
    expect(positionsOf(cache, 1)).toEqual([2, 3, 4]);
    step(cache, 4);
    expect(cache.length).toBe(7);
    expect(positionsOf(cache, 1)).toEqual([2, 3, 4, 3, 4, 5, 6]);
    cache.dropFront(10);
    expect(cache.length).toBe(0);
  });

  it('truncates to the first positions (speculative roll-back) and refuses to overflow', () => {
    const cache = new KvCache(1, 1, 2, 4, 1);
    cache.reset(1);
    step(cache, 4);
    cache.truncate(1);
    expect(positionsOf(cache, 0)).toEqual([0]);
    step(cache, 3);
    expect(() => cache.presentOutputs(1)).toThrow(/capacity 4/);
  });

  it('re-packs rows for fused requests: moved rows keep their last positions, new rows are zeros', () => {
    const cache = new KvCache(1, 1, 1, 8, 4);
    cache.reset(3);
    step(cache, 4);
    // Row 0 leaves; rows 1..2 move up and keep their last 3 positions; row 2 is a newcomer.
    cache.relayout([{ from: 1, to: 0, rows: 2 }], 3, 3);
    expect(cache.batch).toBe(3);
    expect(cache.length).toBe(3);
    expect(positionsOf(cache, 0)).toEqual([101, 102, 103]);
    const data = cache.pastFeeds()['past_key_values.0.key'].data as Float32Array;
    expect(Array.from(data.subarray(3, 6))).toEqual([201, 202, 203]);
    expect(Array.from(data.subarray(6, 9))).toEqual([0, 0, 0]);
    expect(() => cache.relayout([], 5, 0)).toThrow(/capacity 4/);
  });

  it('grows the length on a re-pack (left padding), and places a one-row prompt into many rows', () => {
    const cache = new KvCache(1, 1, 1, 8, 4);
    cache.reset(1);
    step(cache, 2);
    // A newcomer with a 4-position prompt: the old row is padded on the left to 4.
    cache.relayout([{ from: 0, to: 0, rows: 1 }], 3, 4);
    expect(positionsOf(cache, 0)).toEqual([0, 0, 0, 1]);
    const prompt = new KvCache(1, 1, 1, 8, 3);
    prompt.reset(1);
    step(prompt, 3);
    cache.place(prompt, 1, 2);
    const data = cache.pastFeeds()['past_key_values.0.key'].data as Float32Array;
    expect(Array.from(data.subarray(4, 12))).toEqual([0, 0, 1, 2, 0, 0, 1, 2]);
    expect(() => cache.place(prompt, 3, 2)).toThrow(/rows 3\+2 > 3/);
    prompt.tile(3);
    expect(prompt.batch).toBe(3);
    // Row 2 holds row 0's values (positionsOf subtracts 100 · row).
    expect(positionsOf(prompt, 2).map((v) => v + 200)).toEqual([0, 1, 2]);
  });
});
