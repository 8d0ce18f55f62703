import { describe, expect, it } from 'vitest';
import { CallCoalescer } from './call-coalescer';

describe('CallCoalescer', () => {
  const doubler = () => {
    const batches: number[][] = [];
    const coalescer = new CallCoalescer<number[], number[]>(
      async (calls) => {
        batches.push(calls.flat());
        return calls.map((c) => c.map((v) => 2 * v));
      },
      (c) => c.length,
      4,
    );
    return { coalescer, batches };
  };

  it('runs calls submitted in one turn as one forward, each gets its own rows back', async () => {
    const { coalescer, batches } = doubler();
    const results = await Promise.all([coalescer.submit([1]), coalescer.submit([2, 3])]);
    expect(results).toEqual([[2], [4, 6]]);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(coalescer.stats).toEqual({ forwards: 1, calls: 2 });
  });

  it('splits at the row budget, in order; a call alone runs alone', async () => {
    const { coalescer, batches } = doubler();
    await Promise.all([coalescer.submit([1, 2, 3]), coalescer.submit([4, 5]), coalescer.submit([6])]);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6]]);
    await coalescer.submit([7]);
    expect(batches[2]).toEqual([7]);
  });

  it('a failed forward rejects the calls it served and the next calls still run', async () => {
    let fail = true;
    const coalescer = new CallCoalescer<number, number>(
      async (calls) => {
        if (fail) throw new Error('boom');
        return [...calls];
      },
      () => 1,
      8,
    );
    await expect(Promise.all([coalescer.submit(1), coalescer.submit(2)])).rejects.toThrow('boom');
    fail = false;
    await expect(coalescer.submit(3)).resolves.toBe(3);
  });
});
