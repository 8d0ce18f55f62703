import type { Message } from '@bufbuild/protobuf';
import { status, type ServiceError } from '@grpc/grpc-js';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { context, SpanKind } from '@opentelemetry/api';
import { ErrorReason, type JsonLogger } from '@nextx/grpc';
import { correlationFrom, inSpan, withRequestId } from '@nextx/telemetry';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BackendChannels } from '../backends/backend-channels';
import type { BackendCallOptions } from '../backends/backend-channel';
import type { GatewayConfig } from '../config';
import { backendMetadata, deadlineOf } from '../http/call-context';
import { FILE_OUTPUTS, wantsFile, type FileBody } from '../http/file-outputs';
import { InFlightLimit } from '../http/in-flight-limit';
import { RequestAuthorizer } from '../http/request-authorizer';
import { sendFile, sendStatus } from '../http/replies';
import { gatewayStatus, statusJsonOfGrpcError, type RpcStatusJson } from '../http/rpc-status-json';
import {
  NDJSON_WRITER,
  SSE_WRITER,
  wantsEventStream,
  writeWithBackpressure,
  type StreamWriter,
} from '../http/stream-writers';
import { httpRoutes, type HttpRoute } from '../transcoding/http-rules';
import {
  BadRequestProblem,
  decodeMessage,
  encodeMessage,
  requestFromHttp,
  responseJson,
} from '../transcoding/json-transcoder';
import { GATEWAY_CONFIG, GATEWAY_LOGGER } from '../tokens';

/** Headers of a Fastify request, one value each. */
const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Registers one Fastify route per RPC, as its google.api.http rule says, and transcodes each
 * call: HTTP/JSON → request message → gRPC (binary) → response messages → JSON, Server-Sent
 * Events, NDJSON or a file. The caller's disconnect cancels the backend call.
 */
@Injectable()
export class RpcRoutes implements OnModuleInit {
  readonly routes: HttpRoute[] = httpRoutes();

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(BackendChannels) private readonly backends: BackendChannels,
    @Inject(InFlightLimit) private readonly limit: InFlightLimit,
    @Inject(RequestAuthorizer) private readonly authorizer: RequestAuthorizer,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GATEWAY_LOGGER) private readonly logger: JsonLogger,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    for (const route of this.routes)
      fastify.route({
        method: route.verb.toUpperCase() as 'GET' | 'POST',
        url: route.fastifyPath,
        handler: (request, reply) => this.handle(route, request, reply),
      });
  }

  private async handle(route: HttpRoute, request: FastifyRequest, reply: FastifyReply) {
    const { context: parent, requestId } = correlationFrom({
      traceparent: header(request, 'traceparent'),
      tracestate: header(request, 'tracestate'),
      'x-request-id': header(request, 'x-request-id'),
    });
    reply.header('x-request-id', requestId);
    await withRequestId(requestId, () =>
      context.with(parent, () =>
        inSpan(
          `${route.verb.toUpperCase()} ${route.template}`,
          {
            kind: SpanKind.SERVER,
            attributes: { 'http.route': route.template, 'rpc.method': route.grpcPath },
          },
          () => this.call(route, request, reply),
        ),
      ),
    );
  }

  private async call(route: HttpRoute, request: FastifyRequest, reply: FastifyReply) {
    const authorization = header(request, 'authorization');
    const refusal = this.authorizer.refusal(authorization, [route.grpcPath]);
    if (refusal) return sendStatus(reply, refusal);
    const contentType = header(request, 'content-type');
    if (route.body === '*' && contentType && !/^application\/json\b/i.test(contentType))
      return sendStatus(
        reply,
        gatewayStatus(status.INVALID_ARGUMENT, 'send the body as application/json', {
          fieldViolations: [{ field: 'Content-Type', description: 'expected application/json' }],
        }),
        415,
      );
    let message: Message;
    try {
      message = requestFromHttp(route, {
        body: request.body,
        pathValues: route.variables.map(
          (_, i) => (request.params as Record<string, string>)[`p${i}`],
        ),
        query: request.query as Record<string, string | string[]>,
      });
    } catch (error) {
      if (!(error instanceof BadRequestProblem)) throw error;
      return sendStatus(
        reply,
        gatewayStatus(status.INVALID_ARGUMENT, error.message, {
          fieldViolations: [{ field: error.field, description: error.description }],
          reason: ErrorReason.INVALID_FIELD,
        }),
      );
    }
    const deadline = deadlineOf(header(request, 'grpc-timeout'), this.config.timeoutMs);
    if ('problem' in deadline)
      return sendStatus(
        reply,
        gatewayStatus(status.INVALID_ARGUMENT, `Grpc-Timeout: ${deadline.problem}`, {
          fieldViolations: [{ field: 'Grpc-Timeout', description: deadline.problem }],
        }),
      );
    const release = this.limit.acquire();
    if (!release)
      return sendStatus(
        reply,
        gatewayStatus(
          status.RESOURCE_EXHAUSTED,
          `the gateway has ${this.config.maxInFlight} calls in flight (GATEWAY_MAX_IN_FLIGHT)`,
          { reason: ErrorReason.QUEUE_FULL, retryDelaySeconds: 1 },
        ),
      );
    // A client that goes away before the answer is complete cancels the backend call.
    const abort = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) abort.abort(new Error('the HTTP client disconnected'));
    };
    reply.raw.once('close', onClose);
    const options: BackendCallOptions = {
      metadata: backendMetadata(this.config.forwardAuthorization ? authorization : undefined, {
        traceparent: header(request, 'traceparent'),
        tracestate: header(request, 'tracestate'),
      }),
      deadline: deadline.deadline,
      signal: abort.signal,
    };
    try {
      const encoded = encodeMessage(route.method.input, message);
      const accept = header(request, 'accept');
      const file = FILE_OUTPUTS[route.grpcPath];
      if (file && wantsFile(accept, file.mediaTypes))
        return await this.answerWithFile(route, encoded, options, reply, () =>
          file.collector(message, request.query as Record<string, unknown>),
        );
      if (route.serverStreaming)
        return await this.answerWithStream(
          route,
          encoded,
          options,
          reply,
          wantsEventStream(accept) ? SSE_WRITER : NDJSON_WRITER,
        );
      const response = await this.backends
        .channel(route.backend)
        .unary(route.grpcPath, encoded, options);
      return reply
        .type('application/json')
        .send(
          JSON.stringify(
            responseJson(route.method.output, decodeMessage(route.method.output, response)),
          ),
        );
    } catch (error) {
      // Nobody is listening any more: nothing to answer, and Fastify must not try to.
      if (abort.signal.aborted) return reply.hijack();
      return sendStatus(reply, this.backendFailure(route, error));
    } finally {
      reply.raw.off('close', onClose);
      release();
    }
  }

  /** Runs the call to its end and answers with the file its collector builds. */
  private async answerWithFile(
    route: HttpRoute,
    encoded: Uint8Array,
    options: BackendCallOptions,
    reply: FastifyReply,
    collector: () => ReturnType<(typeof FILE_OUTPUTS)[string]['collector']>,
  ) {
    const collect = collector();
    const decode = (bytes: Buffer) => decodeMessage(route.method.output, bytes);
    const channel = this.backends.channel(route.backend);
    if (route.serverStreaming)
      for await (const bytes of channel.stream(route.grpcPath, encoded, options))
        collect.take(decode(bytes as Buffer));
    else collect.take(decode(await channel.unary(route.grpcPath, encoded, options)));
    const file: FileBody | undefined = collect.finish();
    if (!file)
      return sendStatus(
        reply,
        gatewayStatus(status.NOT_FOUND, `${route.grpcPath} returned no file to send`),
      );
    return sendFile(reply, file);
  }

  /**
   * Streams the response messages. The HTTP status is sent with the first message, so a call the
   * backend refuses at once (a bad field, a full queue) still gets its mapped status.
   */
  private async answerWithStream(
    route: HttpRoute,
    encoded: Uint8Array,
    options: BackendCallOptions,
    reply: FastifyReply,
    writer: StreamWriter,
  ) {
    const call = this.backends.channel(route.backend).stream(route.grpcPath, encoded, options);
    const raw = reply.raw;
    let index = 0;
    const start = () => {
      reply.hijack();
      raw.writeHead(200, {
        'content-type': writer.contentType,
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
        'x-request-id': String(reply.getHeader('x-request-id') ?? ''),
      });
    };
    try {
      for await (const bytes of call) {
        if (index === 0) start();
        const json = responseJson(
          route.method.output,
          decodeMessage(route.method.output, bytes as Buffer),
        );
        await writeWithBackpressure(raw, writer.message(json, index++));
        if (options.signal.aborted) return;
      }
      if (index === 0) start();
      raw.end(writer.end());
    } catch (error) {
      if (index === 0) throw error;
      if (!options.signal.aborted) raw.end(writer.error(this.backendFailure(route, error)));
    }
  }

  private backendFailure(route: HttpRoute, error: unknown): RpcStatusJson {
    const grpcError = error as Partial<ServiceError>;
    if (typeof grpcError.code !== 'number') {
      this.logger.error(
        { msg: 'gateway failure', route: route.template, error: String(error) },
        'Gateway',
      );
      return gatewayStatus(status.INTERNAL, 'the gateway failed to transcode the call');
    }
    if (grpcError.code === status.UNAVAILABLE)
      return {
        ...statusJsonOfGrpcError(grpcError),
        message:
          `backend ${route.backend} (${this.backends.address(route.backend)}) is unavailable: ${grpcError.details ?? ''}`.trim(),
      };
    return statusJsonOfGrpcError(grpcError);
  }
}
