import {
  Module,
  type DynamicModule,
  type INestMicroservice,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  Inject,
  Injectable,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { Server } from '@grpc/grpc-js';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { protoRoot } from '@nextx/proto';
import { ConfigError, type ServiceConfig } from '@nextx/config';
import { startTracing, type Tracing } from '@nextx/telemetry';
import { GrpcExceptionFilter } from '../errors/grpc-exception.filter';
import { HEALTH_SERVICE_NAME, HealthService } from '../health/health.service';
import { messageTooLargeInterceptor } from '../limits/message-too-large.interceptor';
import { JsonLogger } from '../logging/json-logger';
import { requestIdInterceptor } from '../logging/request-id.interceptor';
import { GrpcCallInterceptor } from '../metrics/grpc-call.interceptor';
import { GrpcMetrics } from '../metrics/grpc-metrics';
import { MetricsHttpServer } from '../metrics/metrics-http.server';
import { LOADER_OPTIONS, protoPaths } from '../clients/proto-loading';
import { addCompiledReflection } from '../reflection/compiled-reflection';
import { apiKeyInterceptor } from '../security/api-key.interceptor';
import { serverCredentials } from '../security/server-credentials';
import { LOGGER, SERVICE_CONFIG, TRACING } from './tokens';

/** Describes one nextx gRPC service process. */
export interface GrpcServiceDefinition {
  /** Short name used in logs and metrics, e.g. `timeseries`. */
  readonly name: string;
  /** The feature module with the service's controllers (already configured). */
  readonly module: DynamicModule;
  /** Proto packages whose services Nest binds, e.g. `nextx.timeseries.v1`. */
  readonly packages: readonly string[];
  /** Proto files, relative to the proto root. */
  readonly protoFiles: readonly string[];
  /** Fully-qualified service names reported by the health service. */
  readonly serviceNames: readonly string[];
}

/** A started service. */
export interface RunningGrpcService {
  readonly app: INestMicroservice;
  /** host:port the gRPC server listens on. */
  readonly address: string;
  /** Port of the /metrics endpoint, 0 when disabled. */
  readonly metricsPort: number;
  /** Graceful stop: NOT_SERVING, finish in-flight calls (up to the grace period), close. */
  close(): Promise<void>;
}

/** The grpc-js server, known once Nest has loaded the package definition. */
class GrpcServerRef {
  server?: Pick<Server, 'forceShutdown'>;
}

/**
 * Bounds graceful shutdown: Nest's `tryShutdown` waits for every in-flight call, so a call
 * that never ends would hold the process; after the grace period the server cancels them.
 */
@Injectable()
class ShutdownDeadline implements OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(GrpcServerRef) private readonly ref: GrpcServerRef,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  arm(): void {
    this.timer ??= setTimeout(
      () => this.ref.server?.forceShutdown(),
      this.config.shutdownGraceMs,
    ).unref();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
  }
}

/**
 * Drains before the server stops accepting calls: NOT_SERVING at once, so health checks and load
 * balancers see it, then `shutdownDrainDelayMs` during which calls are still served (traffic
 * already routed here is not refused while endpoints update), then the grace period starts.
 * Nest runs this before it closes the gRPC server, on SIGTERM/SIGINT and on `close()` alike.
 */
@Injectable()
class ShutdownDrain implements BeforeApplicationShutdown {
  constructor(
    @Inject(HealthService) private readonly health: HealthService,
    @Inject(ShutdownDeadline) private readonly deadline: ShutdownDeadline,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.health.setAll('NOT_SERVING');
    const delayMs = this.config.shutdownDrainDelayMs;
    if (delayMs > 0) {
      this.logger.log({ msg: 'draining', signal, delayMs }, 'Shutdown');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    this.deadline.arm();
  }
}

@Injectable()
class MetricsEndpoint implements OnApplicationShutdown {
  readonly http: MetricsHttpServer;

  constructor(@Inject(GrpcMetrics) metrics: GrpcMetrics) {
    this.http = new MetricsHttpServer(metrics.registry);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }
}

/**
 * Exports the spans still buffered when the service stops. Nest runs shutdown hooks after the
 * gRPC server has closed (on SIGTERM and on `close()`), so the last calls' spans are in.
 */
@Injectable()
class TracingShutdown implements OnApplicationShutdown {
  constructor(@Inject(TRACING) private readonly tracing: Tracing) {}

  async onApplicationShutdown(): Promise<void> {
    await this.tracing.shutdown();
  }
}

function platformModule(
  definition: GrpcServiceDefinition,
  config: ServiceConfig,
  logger: JsonLogger,
  ref: GrpcServerRef,
  health: HealthService,
  tracing: Tracing,
): DynamicModule {
  @Module({})
  class GrpcPlatformModule {}
  return {
    module: GrpcPlatformModule,
    global: true,
    providers: [
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
      { provide: GrpcServerRef, useValue: ref },
      { provide: HealthService, useValue: health },
      { provide: TRACING, useValue: tracing },
      { provide: GrpcMetrics, useValue: new GrpcMetrics(definition.name) },
      ShutdownDeadline,
      ShutdownDrain,
      MetricsEndpoint,
      TracingShutdown,
      { provide: APP_FILTER, useClass: GrpcExceptionFilter },
      { provide: APP_INTERCEPTOR, useClass: GrpcCallInterceptor },
    ],
    exports: [SERVICE_CONFIG, LOGGER, HealthService, GrpcMetrics],
  };
}

/**
 * Starts a nextx gRPC service: Nest microservice over grpc-js with the service's protos,
 * `grpc.health.v1.Health`, server reflection, JSON logs with a request id per call, error
 * mapping, call metrics on a separate /metrics port, OpenTelemetry tracing when
 * `config.tracing` turns it on (`service.name` default `nextx-<name>`), a request size limit,
 * and graceful shutdown on SIGTERM/SIGINT (which flushes the spans).
 */
export async function startGrpcService(
  definition: GrpcServiceDefinition,
  config: ServiceConfig,
  options: { logger?: JsonLogger; handleSignals?: boolean } = {},
): Promise<RunningGrpcService> {
  const logger = options.logger ?? new JsonLogger(definition.name, config.logLevel);
  const tracing = startTracing(config.tracing, `nextx-${definition.name}`, {
    warn: (message) => logger.warn(message, 'Tracing'),
    error: (message) => logger.error(message, undefined, 'Tracing'),
  });
  const ref = new GrpcServerRef();
  const health = new HealthService(definition.serviceNames);
  @Module({
    imports: [platformModule(definition, config, logger, ref, health, tracing), definition.module],
  })
  class ServiceRootModule {}

  const address = `${config.host}:${config.port}`;
  const security = config.security;
  // messageTooLarge wraps grpc-js's base call, so it comes first; the request id comes before the
  // key check so that a refused call echoes its id too.
  const interceptors = [messageTooLargeInterceptor(config.maxMessageBytes), requestIdInterceptor()];
  if (security?.apiKeys.length)
    interceptors.push(
      apiKeyInterceptor({ keys: security.apiKeys, healthAuth: security.healthAuth }),
    );
  // A service that fails to start leaves no tracing behind (a test process starts the next one).
  const stopTracing = async (error: unknown): Promise<never> => {
    await tracing.shutdown();
    throw error;
  };
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(ServiceRootModule, {
    logger,
    transport: Transport.GRPC,
    options: {
      url: address,
      package: [...definition.packages],
      protoPath: [...protoPaths(definition.protoFiles), healthProtoPath],
      loader: { ...LOADER_OPTIONS, includeDirs: [protoRoot()] },
      gracefulShutdown: true,
      maxReceiveMessageLength: config.maxMessageBytes,
      credentials: serverCredentials(security, logger),
      // Nest hands channelOptions to `new grpc.Server`, whose ServerOptions take interceptors;
      // grpc-js runs them for every method, reflection and health included.
      channelOptions: { interceptors },
      onLoadPackageDefinition: (_packageDefinition, server) => {
        ref.server = server as unknown as Server;
        addCompiledReflection(server, [...definition.serviceNames, HEALTH_SERVICE_NAME]);
        health.addToServer(server);
      },
    },
  }).catch(stopTracing);
  // Signals: Nest runs beforeApplicationShutdown (ShutdownDrain) before closing the server.
  if (options.handleSignals !== false)
    app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen().catch(stopTracing);
  const metricsPort = config.metricsPort
    ? await app.get(MetricsEndpoint).http.listen(config.metricsPort, config.host)
    : 0;
  health.setAll('SERVING');
  logger.log(
    {
      msg: 'listening',
      address,
      metricsPort,
      services: definition.serviceNames,
      tls: security?.tls ? (security.tls.clientCa ? 'mtls' : 'tls') : 'off',
      tlsReloadIntervalMs: security?.tls?.reloadIntervalMs,
      apiKeys: security?.apiKeys.length ?? 0,
      methodScopedApiKeys: security?.apiKeys.filter((key) => key.methods).length ?? 0,
      tracing: config.tracing.exporter,
    },
    'Bootstrap',
  );
  return {
    app,
    address,
    metricsPort,
    async close() {
      await app.close();
    },
  };
}

/**
 * A service process's `main`: builds the definition and config (reading the environment once),
 * starts the service, and exits 1 with a readable message when that fails (a bad env value
 * names the variable).
 */
export function runGrpcServiceMain(
  name: string,
  build: () => { definition: GrpcServiceDefinition; config: ServiceConfig },
): void {
  Promise.resolve()
    .then(() => {
      const { definition, config } = build();
      return startGrpcService(definition, config);
    })
    .catch((error: unknown) => {
      const message =
        error instanceof ConfigError
          ? error.message
          : error instanceof Error
            ? (error.stack ?? error.message)
            : String(error);
      process.stderr.write(`${name} failed to start: ${message}\n`);
      process.exit(1);
    });
}
