import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BackendChannels } from '../backends/backend-channels';
import { BACKENDS } from '../config';
import { RequestAuthorizer } from '../http/request-authorizer';
import { sendStatus } from '../http/replies';
import { ShutdownState } from './shutdown-state';

/** How long a readiness check waits for each backend's health, ms. */
const HEALTH_TIMEOUT_MS = 2000;

/**
 * Liveness and readiness. `/healthz`: the gateway itself serves (503 once it is shutting down).
 * `/readyz`: each backend's grpc.health.v1 status; 200 only when every one is SERVING.
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(BackendChannels) private readonly backends: BackendChannels,
    @Inject(RequestAuthorizer) private readonly authorizer: RequestAuthorizer,
    @Inject(ShutdownState) private readonly shutdown: ShutdownState,
  ) {}

  @Get('healthz')
  healthz(@Headers('authorization') authorization: string | undefined, @Res() reply: FastifyReply) {
    const refusal = this.authorizer.healthOpen
      ? undefined
      : this.authorizer.refusal(authorization, []);
    if (refusal) return sendStatus(reply, refusal);
    const serving = !this.shutdown.draining;
    return reply.code(serving ? 200 : 503).send({ status: serving ? 'SERVING' : 'NOT_SERVING' });
  }

  @Get('readyz')
  async readyz(
    @Headers('authorization') authorization: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const refusal = this.authorizer.healthOpen
      ? undefined
      : this.authorizer.refusal(authorization, []);
    if (refusal) return sendStatus(reply, refusal);
    const backends = await Promise.all(
      BACKENDS.map(async (service) => ({
        service,
        address: this.backends.address(service),
        ...(await this.backends.healthOf(service, HEALTH_TIMEOUT_MS)),
      })),
    );
    const ready = !this.shutdown.draining && backends.every((b) => b.status === 'SERVING');
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'SERVING' : 'NOT_SERVING', backends });
  }
}
