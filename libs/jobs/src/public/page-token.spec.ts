import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken, isAfterCursor } from './page-token';

const id = (c: string) => `job-${c.repeat(32)}`;

describe('page tokens', () => {
  it('round-trips a cursor and refuses anything it did not write', () => {
    const cursor = { submittedAtMs: 1_700_000_000_123, jobId: id('a') };
    const token = encodePageToken(cursor);
    expect(decodePageToken(token)).toEqual(cursor);
    for (const bad of [
      '1',
      '',
      '!!',
      'x'.repeat(1 << 20),
      Buffer.from('1:job-x').toString('base64url'),
    ])
      expect(decodePageToken(bad)).toBeUndefined();
  });

  it('orders newest first, then by job id', () => {
    const cursor = { submittedAtMs: 10, jobId: id('b') };
    expect(isAfterCursor({ submittedAtMs: 9, jobId: id('0') }, cursor)).toBe(true);
    expect(isAfterCursor({ submittedAtMs: 10, jobId: id('c') }, cursor)).toBe(true);
    expect(isAfterCursor({ submittedAtMs: 10, jobId: id('b') }, cursor)).toBe(false);
    expect(isAfterCursor({ submittedAtMs: 11, jobId: id('f') }, cursor)).toBe(false);
  });
});
