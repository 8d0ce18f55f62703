import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGrpcService } from '../bootstrap/grpc-service';
import { grpcHealthProbe, grpcurl } from './go-grpc-tools';

/** A service the shared grpcurl / grpc-health-probe suite talks to. */
export interface ReflectedService {
  /** Label, e.g. `image-service`. */
  readonly name: string;
  /** Fully-qualified service name. */
  readonly service: string;
  /** One RPC line `grpcurl describe` must print, e.g. `rpc Generate ( … ) returns ( … );`. */
  readonly rpc: string;
  /** A request message and one field line its description must match. */
  readonly request: { readonly message: string; readonly field: RegExp };
  /** Model names `ListModels` must contain. */
  readonly models: readonly string[];
  /** Starts the service in-process on a free port. */
  start(): Promise<RunningGrpcService>;
  /** More checks with the running service's address (service-specific calls). */
  more?(address: () => string): void;
}

/**
 * grpcurl and grpc-health-probe know nothing of nextx but what reflection and health serve, as
 * any third-party client; tools/install.sh builds them, and a missing one fails these tests.
 */
export function describeGrpcurl(target: ReflectedService): void {
  describe(`${target.name} through grpcurl and grpc-health-probe`, () => {
    let service: RunningGrpcService;
    const address = () => service.address;

    beforeAll(async () => {
      service = await target.start();
    }, 120_000);

    afterAll(async () => {
      await service?.close();
    });

    it('lists the service and health', async () => {
      expect((await grpcurl(address(), ['list'])).trim().split('\n')).toEqual([
        'grpc.health.v1.Health',
        target.service,
      ]);
    });

    it('describes the service, a request with its imported types, and health', async () => {
      expect(await grpcurl(address(), ['describe', target.service])).toContain(target.rpc);
      expect(await grpcurl(address(), ['describe', target.request.message])).toMatch(
        target.request.field,
      );
      expect(await grpcurl(address(), ['describe', 'grpc.health.v1.Health'])).toContain(
        'rpc Check ( .grpc.health.v1.HealthCheckRequest ) returns ( .grpc.health.v1.HealthCheckResponse );',
      );
    });

    it('calls ListModels', async () => {
      const { models } = JSON.parse(await grpcurl(address(), [`${target.service}/ListModels`], {}));
      expect(models.map((m: { model: { name: string } }) => m.model.name)).toEqual(
        expect.arrayContaining([...target.models]),
      );
    });

    it('grpc-health-probe sees the server and the service SERVING', async () => {
      expect(await grpcHealthProbe(address())).toContain('status: SERVING');
      expect(await grpcHealthProbe(address(), target.service)).toContain('status: SERVING');
    });

    target.more?.(address);
  });
}
