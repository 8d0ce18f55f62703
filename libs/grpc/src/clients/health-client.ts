import { credentials, makeClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { service as healthService, type ServingStatus } from 'grpc-health-check';

const HealthClient = makeClientConstructor(healthService as never, 'grpc.health.v1.Health');

/** Asks `grpc.health.v1.Health/Check` for `service` ("" = the whole server). */
export async function checkHealth(address: string, service = '', timeoutMs = 5000): Promise<ServingStatus | 'SERVICE_UNKNOWN'> {
  const client = new HealthClient(address, credentials.createInsecure()) as unknown as Client & {
    check(req: { service: string }, opts: object, cb: (e: ServiceError | null, r: { status: ServingStatus }) => void): void;
  };
  try {
    return await new Promise((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error?.code === 5) resolve('SERVICE_UNKNOWN');
        else if (error) reject(error);
        else resolve(response.status);
      }),
    );
  } finally {
    client.close();
  }
}
