import { Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { apiKeyDigest, type ApiKey } from '@nextx/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../clients/health-client';
import { readStatusDetails } from '../errors/status-details';
import { HealthService } from '../health/health.service';
import { acceptsBearer, apiKeyInterceptor, bearerKey } from './api-key.interceptor';

const FULL = 'first-key-0123456789';
const CHECK_ONLY = 'second-key-0123456789';
const WATCH_ONLY = 'third-key-0123456789';
const KEYS: ApiKey[] = [
  { digest: apiKeyDigest(FULL) },
  { digest: apiKeyDigest(CHECK_ONLY), methods: ['/other.v1.Service/Call', '*/Check'] },
  { digest: apiKeyDigest(WATCH_ONLY), methods: ['/grpc.health.v1.Health/Watch'] },
];

describe('acceptsBearer / bearerKey', () => {
  it('accepts any configured key, the scheme in any case, and says which key it is', () => {
    expect(acceptsBearer(`Bearer ${FULL}`, KEYS)).toBe(true);
    expect(acceptsBearer(`bearer  ${CHECK_ONLY} `, KEYS)).toBe(true);
    expect(bearerKey(`Bearer ${CHECK_ONLY}`, KEYS)).toBe(KEYS[1]);
  });

  it('refuses a missing, malformed, other-scheme, prefix or extended key', () => {
    for (const header of [
      undefined,
      '',
      FULL,
      `Basic ${FULL}`,
      `Bearer ${FULL.slice(0, -1)}`,
      `Bearer ${FULL}0`,
      `Bearer ${FULL} extra`,
      Buffer.from(`Bearer ${FULL}`),
    ])
      expect(acceptsBearer(header, KEYS)).toBe(false);
  });

  it('needs at least one key to guard a server', () => {
    expect(() => apiKeyInterceptor({ keys: [], healthAuth: 'open' })).toThrow(/at least one/);
  });
});

describe('apiKeyInterceptor on a loopback server (health closed, so it needs a key)', () => {
  let server: Server;
  let address: string;

  beforeAll(async () => {
    server = new Server({
      interceptors: [apiKeyInterceptor({ keys: KEYS, healthAuth: 'closed' })],
    });
    const health = new HealthService([]);
    health.addToServer(server);
    health.setAll('SERVING');
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) =>
        error ? reject(error) : resolve(p),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => server?.forceShutdown());

  const check = (apiKey?: string) =>
    checkHealth(address, '', 5000, apiKey ? { apiKey } : {}).then(
      (serving) => ({ serving, error: undefined }),
      (error: ServiceError) => ({ serving: undefined, error }),
    );

  it('a key without methods, or one whose patterns match the method, gets through', async () => {
    expect((await check(FULL)).serving).toBe('SERVING');
    expect((await check(CHECK_ONLY)).serving).toBe('SERVING');
  });

  it('a known key outside its methods is PERMISSION_DENIED, with ErrorInfo naming the method', async () => {
    const { error } = await check(WATCH_ONLY);
    expect(error?.code).toBe(status.PERMISSION_DENIED);
    expect(error?.details).toBe('this API key may not call /grpc.health.v1.Health/Check');
    expect(readStatusDetails(error!)?.errorInfo).toMatchObject({
      reason: 'API_KEY_METHOD_DENIED',
      domain: 'nextx',
      metadata: { method: '/grpc.health.v1.Health/Check' },
    });
  });

  it('an unknown key is still UNAUTHENTICATED (API_KEY_INVALID), a missing one API_KEY_MISSING', async () => {
    for (const [key, reason] of [
      [`${WATCH_ONLY}x`, 'API_KEY_INVALID'],
      [undefined, 'API_KEY_MISSING'],
    ] as const) {
      const { error } = await check(key);
      expect(error?.code).toBe(status.UNAUTHENTICATED);
      expect(readStatusDetails(error!)?.errorInfo?.reason).toBe(reason);
    }
  });
});
