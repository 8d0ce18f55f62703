import { Module, type DynamicModule } from '@nestjs/common';
import type { JsonLogger } from '@nextx/grpc';
import { BackendChannels } from './backends/backend-channels';
import type { GatewayConfig } from './config';
import { InFlightLimit } from './http/in-flight-limit';
import { RequestAuthorizer } from './http/request-authorizer';
import { HealthController } from './routes/health.controller';
import { ModelsController } from './routes/models.controller';
import { OpenApiController } from './routes/openapi.controller';
import { RpcRoutes } from './routes/rpc-routes';
import { ShutdownState } from './routes/shutdown-state';
import { GATEWAY_CONFIG, GATEWAY_LOGGER } from './tokens';

/** The gateway: the transcoded RPC routes, the models list, health and the API document. */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: JsonLogger): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [ModelsController, HealthController, OpenApiController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_LOGGER, useValue: logger },
        BackendChannels,
        InFlightLimit,
        RequestAuthorizer,
        RpcRoutes,
        ShutdownState,
      ],
    };
  }
}
