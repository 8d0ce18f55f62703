import 'reflect-metadata';
import type { Server as TlsServer } from 'node:tls';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError } from '@nextx/config';
import { JsonLogger } from '@nextx/grpc';
import { startTracing } from '@nextx/telemetry';
import { loadGatewayConfig } from './config';
import { GatewayModule } from './gateway.module';
import { GatewayErrorFilter } from './http/gateway-error.filter';
import { reloadHttpsOnChange } from './http/https-reload';
import { MAX_PARAMETER_CHARS } from './transcoding/json-transcoder';
import { registerStaticAssets } from './routes/static-assets';

async function main(): Promise<void> {
  const config = loadGatewayConfig(process.env);
  const logger = new JsonLogger('gateway', config.logLevel);
  const tracing = startTracing(config.tracing, 'nextx-gateway', {
    warn: (message) => logger.warn(message, 'Tracing'),
    error: (message) => logger.error(message, undefined, 'Tracing'),
  });
  const tls = config.security.tls;
  const adapter = new FastifyAdapter({
    bodyLimit: config.maxBodyBytes,
    routerOptions: { maxParamLength: MAX_PARAMETER_CHARS },
    // The gateway logs through its JSON logger; Fastify's own per-request log would double it.
    logger: false,
    ...(tls
      ? {
          https: {
            cert: tls.cert,
            key: tls.key,
            ...(tls.clientCa
              ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }
              : {}),
          },
        }
      : {}),
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(config, logger),
    adapter,
    { logger },
  );
  if (tls?.reloadIntervalMs)
    reloadHttpsOnChange(app.getHttpServer() as unknown as TlsServer, tls, logger);
  const fastify = app.getHttpAdapter().getInstance();
  app.useGlobalFilters(new GatewayErrorFilter(config.maxBodyBytes));
  await registerStaticAssets(fastify);
  await app.listen(config.port, config.host);
  const url = `${tls ? 'https' : 'http'}://${config.host}:${config.port}`;
  logger.log({ msg: 'listening', url, backends: config.backends }, 'Gateway');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log({ msg: 'shutting down', signal, graceMs: config.shutdownGraceMs }, 'Gateway');
    // In-flight streams get SHUTDOWN_GRACE_MS; after that the process ends regardless.
    setTimeout(() => process.exit(1), config.shutdownGraceMs).unref();
    await app.close();
    await tracing.shutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : (error as Error).stack;
  process.stderr.write(`gateway: ${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
