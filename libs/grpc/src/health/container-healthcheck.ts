import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { checkHealth } from '../clients/health-client';
import type { ClientSecurity } from '../clients/client-security';

/**
 * What a container's HEALTHCHECK asks, read from the container's own environment so that a
 * port or TLS change at run time needs no new image:
 * - `HEALTHCHECK_KIND=grpc` (default): `grpc.health.v1.Health/Check` on `127.0.0.1:$GRPC_PORT`,
 *   healthy when the whole server ("") is SERVING. With TLS on the server, the check needs a
 *   CA that trusts its certificate (`HEALTHCHECK_TLS_CA`), for mTLS a client certificate
 *   (`HEALTHCHECK_TLS_CERT`/`_KEY`), and `HEALTHCHECK_TLS_SERVER_NAME` when the certificate
 *   does not name 127.0.0.1; `HEALTHCHECK_API_KEY_FILE` when health is closed to anonymous calls.
 * - `HEALTHCHECK_KIND=http`: `GET http://127.0.0.1:$METRICS_PORT/healthz` answers 200 (the
 *   video worker, which serves no gRPC).
 * - `HEALTHCHECK_KIND=gateway`: `GET http://127.0.0.1:$GATEWAY_PORT/healthz` answers 200 (the
 *   HTTP gateway; plain HTTP, so a gateway serving HTTPS needs its probe from outside).
 */
export async function containerHealthcheck(env: NodeJS.ProcessEnv): Promise<string> {
  const timeoutMs = Number(env['HEALTHCHECK_TIMEOUT_MS'] ?? 3000);
  const kind = env['HEALTHCHECK_KIND'] ?? 'grpc';
  if (kind === 'http' || kind === 'gateway') {
    // The worker answers /healthz on its metrics port, the gateway on its HTTP port.
    const port = requiredPort(env, kind === 'http' ? 'METRICS_PORT' : 'GATEWAY_PORT');
    const url = `http://127.0.0.1:${port}/healthz`;
    const code = await httpStatus(url, timeoutMs);
    if (code !== 200) throw new Error(`${url} answered ${code}`);
    return `${url} 200`;
  }
  const address = `127.0.0.1:${requiredPort(env, 'GRPC_PORT')}`;
  const status = await checkHealth(address, '', timeoutMs, healthcheckSecurity(env));
  if (status !== 'SERVING') throw new Error(`${address} is ${status}`);
  return `${address} SERVING`;
}

function requiredPort(env: NodeJS.ProcessEnv, name: string): number {
  const port = Number(env[name]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${name} must name the port to check (got ${JSON.stringify(env[name])})`);
  return port;
}

function healthcheckSecurity(env: NodeJS.ProcessEnv): ClientSecurity {
  const file = (name: string) => (env[name] ? readFileSync(env[name]!) : undefined);
  const ca = file('HEALTHCHECK_TLS_CA');
  const cert = file('HEALTHCHECK_TLS_CERT');
  const key = file('HEALTHCHECK_TLS_KEY');
  const serverName = env['HEALTHCHECK_TLS_SERVER_NAME'];
  const apiKey = env['HEALTHCHECK_API_KEY_FILE']
    ? readFileSync(env['HEALTHCHECK_API_KEY_FILE'], 'utf8').trim()
    : undefined;
  return {
    ...(ca || cert || serverName ? { tls: { ca, cert, key, serverName } } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

function httpStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error(`${url}: no answer in ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
