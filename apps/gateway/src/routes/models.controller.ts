import { create, type JsonObject } from '@bufbuild/protobuf';
import { status, type ServiceError } from '@grpc/grpc-js';
import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BackendChannels } from '../backends/backend-channels';
import { BACKEND_SERVICES, BACKENDS, type GatewayConfig } from '../config';
import { backendMetadata } from '../http/call-context';
import { RequestAuthorizer } from '../http/request-authorizer';
import { sendStatus } from '../http/replies';
import { statusJsonOfGrpcError } from '../http/rpc-status-json';
import { descriptorRegistry } from '../transcoding/descriptor-registry';
import { decodeMessage, encodeMessage, responseJson } from '../transcoding/json-transcoder';
import { GATEWAY_CONFIG } from '../tokens';

/** How long `GET /v1/models` waits for each backend, ms. */
const LIST_TIMEOUT_MS = 5000;

/**
 * `GET /v1/models`: every backend's ListModels in one answer, grouped by service. A backend that
 * is down (or that the caller's key may not list) appears with its error and no models, so the
 * others still show.
 */
@Controller('v1/models')
export class ModelsController {
  constructor(
    @Inject(BackendChannels) private readonly backends: BackendChannels,
    @Inject(RequestAuthorizer) private readonly authorizer: RequestAuthorizer,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get()
  async list(
    @Headers('authorization') authorization: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const refusal = this.authorizer.refusal(authorization, []);
    if (refusal) return sendStatus(reply, refusal);
    const registry = descriptorRegistry();
    const requestSchema = registry.getMessage('nextx.common.v1.ListModelsRequest')!;
    const responseSchema = registry.getMessage('nextx.common.v1.ListModelsResponse')!;
    const request = encodeMessage(requestSchema, create(requestSchema));
    const services = await Promise.all(
      BACKENDS.map(async (backend): Promise<JsonObject> => {
        const path = `/${BACKEND_SERVICES[backend]}/ListModels`;
        const denied = this.authorizer.refusal(authorization, [path]);
        if (denied) return { service: backend, models: [], error: denied };
        try {
          const bytes = await this.backends.channel(backend).unary(path, request, {
            metadata: backendMetadata(this.config.forwardAuthorization ? authorization : undefined),
            deadline: Date.now() + LIST_TIMEOUT_MS,
            signal: new AbortController().signal,
          });
          const json = responseJson(
            responseSchema,
            decodeMessage(responseSchema, bytes),
          ) as JsonObject;
          return { service: backend, models: json['models'] ?? [] };
        } catch (error) {
          const grpc = error as Partial<ServiceError>;
          return {
            service: backend,
            models: [],
            error: statusJsonOfGrpcError(
              typeof grpc.code === 'number'
                ? grpc
                : { code: status.INTERNAL, message: String(error) },
            ),
          };
        }
      }),
    );
    return reply.type('application/json').send(JSON.stringify({ services }));
  }
}
