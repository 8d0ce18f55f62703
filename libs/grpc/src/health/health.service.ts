import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Server } from '@grpc/grpc-js';

/** Fully-qualified name of the standard health service every nextx server exposes. */
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

/**
 * `grpc.health.v1.Health` for one service process. The overall status ("") and each named
 * service start NOT_SERVING, turn SERVING once the server listens, and turn NOT_SERVING again
 * as soon as shutdown begins, so load balancers stop routing before in-flight calls finish.
 */
@Injectable()
export class HealthService implements BeforeApplicationShutdown {
  private readonly implementation: HealthImplementation;
  private readonly services: string[];

  constructor(serviceNames: readonly string[]) {
    this.services = ['', ...serviceNames];
    this.implementation = new HealthImplementation(
      Object.fromEntries(this.services.map((name) => [name, 'NOT_SERVING' as ServingStatus])),
    );
  }

  /** Registers the Health service on the gRPC server. */
  addToServer(server: Pick<Server, 'addService'>): void {
    this.implementation.addToServer(server as Server);
  }

  /** Marks every service SERVING or NOT_SERVING. */
  setAll(status: ServingStatus): void {
    for (const name of this.services) this.implementation.setStatus(name, status);
  }

  beforeApplicationShutdown(): void {
    this.setAll('NOT_SERVING');
  }
}
