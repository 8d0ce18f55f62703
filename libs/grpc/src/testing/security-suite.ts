import { status, type ServiceError } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGrpcService } from '../bootstrap/grpc-service';
import type { ClientSecurity } from '../clients/client-security';
import { checkHealth } from '../clients/health-client';
import { describeServer } from '../clients/reflection-client';
import { TypedGrpcClient } from '../clients/typed-client';
import { readStatusDetails } from '../errors/status-details';
import { freePort } from './free-port';
import { generateTestCerts, type TestCerts } from './test-certs';

/** A service whose security the shared suite checks. */
export interface SecuredService {
  /** Label of the suite, e.g. `timeseries-service`. */
  readonly name: string;
  /** Proto file (relative to the proto root) of `service`. */
  readonly protoFile: string;
  /** Fully-qualified name of a service with the common `ListModels` RPC. */
  readonly service: string;
  /** Starts the service in-process, its whole configuration read from `env`. */
  start(env: NodeJS.ProcessEnv): Promise<RunningGrpcService>;
}

type ListModelsClient = { listModels(request: object): unknown };

/** The status code a call ends with, or `OK`. */
async function outcome(call: () => Promise<unknown>): Promise<status> {
  try {
    await call();
    return status.OK;
  } catch (error) {
    return (error as ServiceError).code;
  }
}

/**
 * One loopback suite per service: the service starts with TLS, a client CA (mTLS) and an API
 * keys file, all from its environment as in production; then a plaintext client fails, a client
 * without a certificate (or with one from another CA) is refused at the handshake, a missing or
 * wrong key is UNAUTHENTICATED, a key limited to `ListModels` gets PERMISSION_DENIED elsewhere,
 * reflection (a bidi stream) needs the key, health answers without one, and with everything
 * right `ListModels` works.
 */
export function describeGrpcSecurity(target: SecuredService): void {
  describe(`${target.name}: TLS, mTLS and API keys`, () => {
    const apiKey = `test-${randomBytes(16).toString('hex')}`;
    const listOnlyKey = `list-${randomBytes(16).toString('hex')}`;
    let certs: TestCerts;
    let service: RunningGrpcService;

    beforeAll(async () => {
      certs = await generateTestCerts();
      const keysFile = join(certs.dir, 'api-keys');
      await writeFile(
        keysFile,
        `# accepted keys\n\n${apiKey}\n# may only list models\n${listOnlyKey} */ListModels\n`,
      );
      service = await target.start({
        GRPC_PORT: String(await freePort()),
        METRICS_PORT: '0',
        LOG_LEVEL: 'warn',
        GRPC_TLS_CERT: certs.paths.serverCert,
        GRPC_TLS_KEY: certs.paths.serverKey,
        GRPC_TLS_CLIENT_CA: certs.paths.ca,
        GRPC_API_KEYS_FILE: keysFile,
      });
    }, 120_000);

    afterAll(async () => {
      await service?.close();
      if (certs) await rm(certs.dir, { recursive: true, force: true });
    });

    // The certificate names localhost too; checking that name keeps Node from warning about
    // an IP address as TLS server name.
    const trust = () => ({ ca: certs.pem.ca, serverName: 'localhost' });
    const mtls = (key?: string): ClientSecurity => ({
      tls: { ...trust(), cert: certs.pem.clientCert, key: certs.pem.clientKey },
      ...(key ? { apiKey: key } : {}),
    });

    async function listModels(security: ClientSecurity) {
      const client = new TypedGrpcClient<ListModelsClient>(
        service.address,
        target.protoFile,
        target.service,
        {},
        security,
      );
      try {
        return await client.unary('listModels', {}, { timeoutMs: 10_000 });
      } finally {
        client.close();
      }
    }

    it('with the CA, a client certificate and the key, ListModels answers', async () => {
      const response = (await listModels(mtls(apiKey))) as { models: unknown[] };
      expect(response.models.length).toBeGreaterThan(0);
    });

    it('a plaintext client fails against the TLS server', async () => {
      expect(await outcome(() => listModels({ apiKey }))).toBe(status.UNAVAILABLE);
    });

    it('a client without a certificate, or with one from another CA, is refused at the handshake', async () => {
      const noCert = { tls: trust(), apiKey };
      expect(await outcome(() => listModels(noCert))).toBe(status.UNAVAILABLE);
      const stranger = {
        tls: { ...trust(), cert: certs.pem.strangerCert, key: certs.pem.strangerKey },
        apiKey,
      };
      expect(await outcome(() => listModels(stranger))).toBe(status.UNAVAILABLE);
    });

    it('a missing or wrong key is UNAUTHENTICATED with ErrorInfo saying which', async () => {
      for (const [key, reason] of [
        [undefined, 'API_KEY_MISSING'],
        [`${apiKey}x`, 'API_KEY_INVALID'],
      ] as const) {
        const error = await listModels(mtls(key)).then(
          () => undefined,
          (e: ServiceError) => e,
        );
        expect(error?.code).toBe(status.UNAUTHENTICATED);
        expect(error && readStatusDetails(error)?.errorInfo?.reason).toBe(reason);
      }
    });

    it('a key limited to ListModels lists models; elsewhere it is PERMISSION_DENIED, not UNAUTHENTICATED', async () => {
      const response = (await listModels(mtls(listOnlyKey))) as { models: unknown[] };
      expect(response.models.length).toBeGreaterThan(0);
      const error = await describeServer(service.address, mtls(listOnlyKey)).then(
        () => undefined,
        (e: ServiceError) => e,
      );
      expect(error?.code).toBe(status.PERMISSION_DENIED);
      expect(error && readStatusDetails(error)?.errorInfo).toMatchObject({
        reason: 'API_KEY_METHOD_DENIED',
        metadata: {
          method: expect.stringMatching(/^\/grpc\.reflection\.v1(alpha)?\.ServerReflection\//),
        },
      });
    });

    it('reflection needs the key; health answers probes without one', async () => {
      expect(await outcome(() => describeServer(service.address, mtls()))).toBe(
        status.UNAUTHENTICATED,
      );
      const described = await describeServer(service.address, mtls(apiKey));
      expect(described.map((s) => s.name)).toContain(target.service);
      expect(await checkHealth(service.address, target.service, 5000, mtls())).toBe('SERVING');
    });
  });
}
