import { describe, expect, it } from 'vitest';
import { CachedLoader } from './cached-loader';

describe('CachedLoader', () => {
  it('loads a key once and shares the load between callers', async () => {
    let loads = 0;
    const loader = new CachedLoader(async (key: string) => {
      loads++;
      return `${key}!`;
    });
    const [a, b] = await Promise.all([loader.get('x'), loader.get('x')]);
    expect([a, b, await loader.get('x')]).toEqual(['x!', 'x!', 'x!']);
    expect(loads).toBe(1);
  });

  it('retries a load that failed instead of caching the failure', async () => {
    let loads = 0;
    const loader = new CachedLoader(async (key: string) => {
      loads++;
      if (loads === 1) throw new Error(`${key} not there yet`);
      return key;
    });
    await expect(loader.get('model')).rejects.toThrow('model not there yet');
    await expect(loader.get('model')).resolves.toBe('model');
    await expect(loader.get('model')).resolves.toBe('model');
    expect(loads).toBe(2);
  });

  it('turns a synchronous throw of the loader into a rejected load that is retried', async () => {
    let calls = 0;
    const loader = new CachedLoader((key: number) => {
      calls++;
      if (calls === 1) throw new RangeError('sync');
      return Promise.resolve(key * 2);
    });
    await expect(loader.get(2)).rejects.toThrow('sync');
    await expect(loader.get(2)).resolves.toBe(4);
  });
});
