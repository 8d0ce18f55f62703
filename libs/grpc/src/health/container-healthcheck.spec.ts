import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { containerHealthcheck } from './container-healthcheck';
import { HealthService } from './health.service';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function healthServer(): Promise<{ port: number; health: HealthService }> {
  const server = new Server();
  const health = new HealthService(['nextx.test.v1.Test']);
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  cleanups.push(() => void server.forceShutdown());
  return { port, health };
}

describe('containerHealthcheck', () => {
  it('grpc: healthy only while the whole server is SERVING', async () => {
    const { port, health } = await healthServer();
    const env = { GRPC_PORT: String(port) };
    await expect(containerHealthcheck(env)).rejects.toThrow(`127.0.0.1:${port} is NOT_SERVING`);
    health.setAll('SERVING');
    await expect(containerHealthcheck(env)).resolves.toBe(`127.0.0.1:${port} SERVING`);
  });

  it('grpc: a closed port fails within the timeout', async () => {
    const { port } = await healthServer();
    cleanups.splice(0).forEach((c) => c());
    await expect(
      containerHealthcheck({ GRPC_PORT: String(port), HEALTHCHECK_TIMEOUT_MS: '500' }),
    ).rejects.toThrow();
  });

  it('http: GET /healthz must answer 200 (the video worker)', async () => {
    let code = 503;
    const server = createServer((req, res) =>
      res.writeHead(req.url === '/healthz' ? code : 404).end(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const env = {
      HEALTHCHECK_KIND: 'http',
      METRICS_PORT: String((server.address() as AddressInfo).port),
    };
    await expect(containerHealthcheck(env)).rejects.toThrow('answered 503');
    code = 200;
    await expect(containerHealthcheck(env)).resolves.toMatch(/\/healthz 200$/);
  });

  it('names the missing port variable', async () => {
    await expect(containerHealthcheck({})).rejects.toThrow('GRPC_PORT must name the port to check');
    await expect(containerHealthcheck({ HEALTHCHECK_KIND: 'http' })).rejects.toThrow(
      'METRICS_PORT',
    );
    await expect(containerHealthcheck({ HEALTHCHECK_KIND: 'gateway' })).rejects.toThrow(
      'GATEWAY_PORT',
    );
  });

  it('gateway: GET /healthz on GATEWAY_PORT must answer 200', async () => {
    const server = createServer((req, res) =>
      res.writeHead(req.url === '/healthz' ? 200 : 404).end(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const port = String((server.address() as AddressInfo).port);
    await expect(
      containerHealthcheck({ HEALTHCHECK_KIND: 'gateway', GATEWAY_PORT: port, METRICS_PORT: '1' }),
    ).resolves.toBe(`http://127.0.0.1:${port}/healthz 200`);
  });
});
