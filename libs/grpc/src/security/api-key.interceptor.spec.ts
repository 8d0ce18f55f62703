import { apiKeyDigest } from '@nextx/config';
import { describe, expect, it } from 'vitest';
import { acceptsBearer, apiKeyInterceptor } from './api-key.interceptor';

const KEYS = ['first-key-0123456789', 'second-key-0123456789'].map(apiKeyDigest);

describe('acceptsBearer', () => {
  it('accepts any configured key, the scheme in any case', () => {
    expect(acceptsBearer('Bearer first-key-0123456789', KEYS)).toBe(true);
    expect(acceptsBearer('bearer  second-key-0123456789 ', KEYS)).toBe(true);
  });

  it('refuses a missing, malformed, other-scheme, prefix or extended key', () => {
    for (const header of [
      undefined,
      '',
      'first-key-0123456789',
      'Basic first-key-0123456789',
      'Bearer first-key-012345678',
      'Bearer first-key-01234567890',
      'Bearer first-key-0123456789 extra',
      Buffer.from('Bearer first-key-0123456789'),
    ])
      expect(acceptsBearer(header, KEYS)).toBe(false);
  });

  it('needs at least one key to guard a server', () => {
    expect(() => apiKeyInterceptor({ digests: [], healthAuth: 'open' })).toThrow(/at least one/);
  });
});
