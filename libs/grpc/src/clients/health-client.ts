import { makeClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { service as healthService, type ServingStatus } from 'grpc-health-check';
import { clientCredentials, clientSecurityOptions, type ClientSecurity } from './client-security';

const HealthClientConstructor = makeClientConstructor(
  healthService as never,
  'grpc.health.v1.Health',
);

/** Result of a health check: the serving status, or SERVICE_UNKNOWN for a name the server does not know. */
export type HealthStatus = ServingStatus | 'SERVICE_UNKNOWN';

/** A `grpc.health.v1.Health` client on one channel (reuse it to measure the call, not the connect). */
export class HealthClient {
  private readonly client: Client & {
    check(
      req: { service: string },
      opts: object,
      cb: (e: ServiceError | null, r: { status: ServingStatus }) => void,
    ): void;
  };

  /** @param security TLS/mTLS and API key (needed when GRPC_AUTH_HEALTH=closed) */
  constructor(address: string, security: ClientSecurity = {}) {
    this.client = new HealthClientConstructor(
      address,
      clientCredentials(security),
      clientSecurityOptions(security),
    ) as unknown as HealthClient['client'];
  }

  /** `Check` for `service` ("" = the whole server). */
  check(service = '', timeoutMs = 5000): Promise<HealthStatus> {
    return new Promise((resolve, reject) =>
      this.client.check({ service }, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error?.code === 5) resolve('SERVICE_UNKNOWN');
        else if (error) reject(error);
        else resolve(response.status);
      }),
    );
  }

  close(): void {
    this.client.close();
  }
}

/** One-shot health check on a fresh channel. */
export async function checkHealth(
  address: string,
  service = '',
  timeoutMs = 5000,
  security: ClientSecurity = {},
): Promise<HealthStatus> {
  const client = new HealthClient(address, security);
  try {
    return await client.check(service, timeoutMs);
  } finally {
    client.close();
  }
}
