import { status } from '@grpc/grpc-js';
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { ErrorReason } from '@nextx/grpc';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { echo } from '../transcoding/json-transcoder';
import { gatewayStatus, type RpcStatusJson } from './rpc-status-json';

/** The HTTP status an error carries (Nest's HttpException or Fastify's own errors), else 500. */
function httpStatusOfError(error: unknown): number {
  if (error instanceof HttpException) return error.getStatus();
  const code = (error as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : 500;
}

/**
 * Gives the failures the framework answers itself (a body that is not JSON, too large or of
 * another media type, an unknown path) the same google.rpc.Status body as every other error.
 */
@Catch()
export class GatewayErrorFilter implements ExceptionFilter {
  constructor(private readonly maxBodyBytes: number) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const code = httpStatusOfError(error);
    const message = error instanceof Error ? error.message : String(error);
    let body: RpcStatusJson;
    if (code === 404)
      body = gatewayStatus(status.NOT_FOUND, `no route ${request.method} ${echo(request.url)}`);
    else if (code === 413)
      body = gatewayStatus(
        status.RESOURCE_EXHAUSTED,
        `request body larger than ${this.maxBodyBytes} bytes (GATEWAY_MAX_BODY_BYTES)`,
        { reason: ErrorReason.MESSAGE_TOO_LARGE },
      );
    else if (code === 415)
      body = gatewayStatus(status.INVALID_ARGUMENT, 'send the body as application/json', {
        fieldViolations: [{ field: 'Content-Type', description: 'expected application/json' }],
      });
    else if (code >= 400 && code < 500)
      body = gatewayStatus(status.INVALID_ARGUMENT, echo(message), {
        fieldViolations: [{ field: 'body', description: echo(message) }],
      });
    else body = gatewayStatus(status.INTERNAL, 'internal gateway error');
    void reply.code(code).type('application/json').send(JSON.stringify(body));
  }
}
