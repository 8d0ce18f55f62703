import { credentials, makeClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { service as healthService, type ServingStatus } from 'grpc-health-check';

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

  constructor(address: string) {
    this.client = new HealthClientConstructor(
      address,
      credentials.createInsecure(),
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
): Promise<HealthStatus> {
  const client = new HealthClient(address);
  try {
    return await client.check(service, timeoutMs);
  } finally {
    client.close();
  }
}
