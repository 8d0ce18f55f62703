import { copyFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { generateTestCerts, type TestCerts } from '@nextx/grpc/testing';
import { newTraceparent, readSpanFile } from '@nextx/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack';

const FULL_KEY = 'gateway-test-key-all-methods';
const TIMESERIES_KEY = 'gateway-test-key-timeseries-only';
const SERIES = Array.from({ length: 60 }, (_, i) => 10 + i * 0.5 + Math.sin(i));

/** An HTTPS request that trusts the test CA (fetch cannot be given one). */
function call(
  url: string,
  ca: Buffer,
  options: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? 'GET',
        ca,
        // A new connection each time: a kept-alive one would keep its first certificate.
        agent: false,
        headers: {
          ...(options.body ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body ? JSON.stringify(options.body) : undefined);
  });
}

describe('gateway security and tracing: HTTPS, API keys forwarded to TLS backends, trace context', () => {
  let certs: TestCerts;
  let stack: Stack;
  let base: string;
  let spans: { gateway: string; timeseries: string };

  /** The gateway's own copies of its certificate and key, which the rotation test replaces. */
  let served: { cert: string; key: string };

  beforeAll(async () => {
    certs = await generateTestCerts();
    spans = { gateway: join(certs.dir, 'gateway.spans'), timeseries: join(certs.dir, 'ts.spans') };
    served = { cert: join(certs.dir, 'gateway.crt'), key: join(certs.dir, 'gateway.key') };
    copyFileSync(certs.paths.serverCert, served.cert);
    copyFileSync(certs.paths.serverKey, served.key);
    const keys = `${FULL_KEY},${TIMESERIES_KEY} /nextx.timeseries.v1.TimeSeries/*`;
    const tls = { GRPC_TLS_CERT: certs.paths.serverCert, GRPC_TLS_KEY: certs.paths.serverKey };
    stack = await startStack({
      services: ['timeseries', 'image'],
      backendSecurity: { tls: { ca: certs.pem.ca }, apiKey: FULL_KEY },
      env: {
        timeseries: {
          ...tls,
          GRPC_API_KEYS: keys,
          OTEL_TRACES_EXPORTER: 'file',
          OTEL_TRACES_FILE: spans.timeseries,
        },
        image: { ...tls, GRPC_API_KEYS: keys },
        gateway: {
          GRPC_TLS_CERT: served.cert,
          GRPC_TLS_KEY: served.key,
          GRPC_TLS_RELOAD_INTERVAL_MS: '200',
          GRPC_API_KEYS: keys,
          GATEWAY_BACKEND_TLS_CA: certs.paths.ca,
          OTEL_TRACES_EXPORTER: 'file',
          OTEL_TRACES_FILE: spans.gateway,
        },
      },
    });
    base = stack.gatewayUrl.replace('http:', 'https:');
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('serves HTTPS only; health needs no key (GRPC_AUTH_HEALTH=open)', async () => {
    const health = await call(`${base}/healthz`, certs.pem.ca);
    expect(health.status).toBe(200);
    await expect(fetch(`${stack.gatewayUrl}/healthz`)).rejects.toThrow();
  });

  it('no key → 401 API_KEY_MISSING, a wrong key → 401, the right key reaches the TLS backend (forwarded)', async () => {
    const body = { series: { values: SERIES }, horizon: 4 };
    const url = `${base}/v1/timeseries/forecast`;
    const missing = await call(url, certs.pem.ca, { method: 'POST', body });
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body).details[0]).toMatchObject({ reason: 'API_KEY_MISSING' });
    const wrong = await call(url, certs.pem.ca, {
      method: 'POST',
      body,
      headers: { authorization: 'Bearer not-a-key-of-this-gateway' },
    });
    expect(wrong.status).toBe(401);
    const ok = await call(url, certs.pem.ca, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${TIMESERIES_KEY}` },
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).point).toHaveLength(4);
  });

  it('a key limited to the time-series methods → 403 on image; /v1/models lists what it may list', async () => {
    const denied = await call(`${base}/v1/image/generate`, certs.pem.ca, {
      method: 'POST',
      body: { model: { name: 'var-mnist' } },
      headers: { authorization: `Bearer ${TIMESERIES_KEY}` },
    });
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body).details[0]).toMatchObject({ reason: 'API_KEY_METHOD_DENIED' });
    const models = JSON.parse(
      (
        await call(`${base}/v1/models`, certs.pem.ca, {
          headers: { authorization: `Bearer ${TIMESERIES_KEY}` },
        })
      ).body,
    ) as { services: { service: string; models: unknown[]; error?: { code: number } }[] };
    const byService = Object.fromEntries(models.services.map((s) => [s.service, s]));
    expect(byService['image'].error?.code).toBe(7);
    expect(byService['timeseries'].models.length).toBeGreaterThan(0);
  });

  it('a rotated certificate (GRPC_TLS_RELOAD_INTERVAL_MS) serves new connections without a restart', async () => {
    const next = await generateTestCerts();
    try {
      // A half-done rotation (the new certificate, the old key) keeps the old pair in service.
      copyFileSync(next.paths.serverCert, served.cert);
      await new Promise((r) => setTimeout(r, 600));
      expect((await call(`${base}/healthz`, certs.pem.ca)).status).toBe(200);
      copyFileSync(next.paths.serverKey, served.key);
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await call(`${base}/healthz`, next.pem.ca).then(
          (r) => r.status,
          () => 0,
        );
      }
      expect(status).toBe(200);
      await expect(call(`${base}/healthz`, certs.pem.ca)).rejects.toThrow();
    } finally {
      // Back to the first pair for the other tests.
      copyFileSync(certs.paths.serverKey, served.key);
      copyFileSync(certs.paths.serverCert, served.cert);
      await new Promise((r) => setTimeout(r, 600));
      rmSync(next.dir, { recursive: true, force: true });
    }
  });

  it("the client's traceparent and request id reach the backend: gateway SERVER span → backend SERVER span, one trace", async () => {
    const { traceparent, traceId, spanId } = newTraceparent();
    const response = await call(`${base}/v1/timeseries/forecast`, certs.pem.ca, {
      method: 'POST',
      body: { series: { values: SERIES }, horizon: 4 },
      headers: {
        authorization: `Bearer ${FULL_KEY}`,
        traceparent,
        'x-request-id': 'gateway-trace-1',
      },
    });
    expect(response.status).toBe(200);
    expect(response.headers['x-request-id']).toBe('gateway-trace-1');
    let gatewaySpan;
    let backendSpan;
    for (let i = 0; i < 50 && !(gatewaySpan && backendSpan); i++) {
      await new Promise((r) => setTimeout(r, 100));
      gatewaySpan = readSpanFile(spans.gateway).find((s) => s.traceId === traceId);
      backendSpan = readSpanFile(spans.timeseries).find(
        (s) => s.traceId === traceId && s.kind === 'SERVER',
      );
    }
    expect(gatewaySpan).toMatchObject({
      kind: 'SERVER',
      parentSpanId: spanId,
      name: 'POST /v1/timeseries/forecast',
    });
    expect(backendSpan?.parentSpanId).toBe(gatewaySpan!.spanId);
  });
});
