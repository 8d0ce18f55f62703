import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type LoggerService,
  type NestInterceptor,
} from '@nestjs/common';
import { LOGGER } from '../bootstrap/tokens';
import { status, type Metadata } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import {
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type TextMapGetter,
} from '@opentelemetry/api';
import {
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from '@opentelemetry/semantic-conventions';
import { REQUEST_ID_KEY, requestIdOf, tracer, withRequestId } from '@nextx/telemetry';
import { Observable, tap } from 'rxjs';
import { toGrpcError } from '../errors/grpc-error';
import { GrpcMetrics } from './grpc-metrics';

/**
 * The gRPC method of a call (`/nextx.image.v1.ImageGeneration/Generate`), what dashboards and
 * clients know it by; the handler's class and name where the call object has no path.
 */
function grpcMethodOf(context: ExecutionContext): string {
  // Nest passes gRPC handlers (request, metadata, call); grpc-js calls know their path.
  const call = context.getArgByIndex(2) as { getPath?: () => string } | undefined;
  return call?.getPath?.() ?? `${context.getClass().name}.${context.getHandler().name}`;
}

/** Reads W3C trace-context keys from grpc-js metadata. */
const metadataGetter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key).map(String);
    return values.length > 1 ? values : values[0];
  },
};

/**
 * Codes that mean the server failed (OpenTelemetry's gRPC server rule): a span with one of them
 * is an error; INVALID_ARGUMENT, NOT_FOUND, CANCELLED, … are the client's and leave it unset.
 */
const SERVER_ERRORS = new Set([
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
  status.UNIMPLEMENTED,
  status.INTERNAL,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

/**
 * Counts, times, traces and logs every gRPC call: one structured log line per finished call and,
 * with tracing on, one SERVER span named after the method that continues the client's W3C
 * `traceparent` when it sent one. The handler runs inside the span and under the call's request
 * id (`x-request-id`, see `requestIdInterceptor`), so every line it logs carries `request_id`
 * (and `trace_id`), and the spans it opens (a generation, a Kafka publish) are children of the
 * call's.
 */
@Injectable()
export class GrpcCallInterceptor implements NestInterceptor {
  constructor(
    @Inject(GrpcMetrics) private readonly metrics: GrpcMetrics,
    @Inject(LOGGER) private readonly logger: LoggerService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const method = grpcMethodOf(context);
    const metadata = context.getArgByIndex(1) as Metadata | undefined;
    const requestId = requestIdOf(metadata?.get?.(REQUEST_ID_KEY)[0]);
    const parent = metadata?.getMap
      ? propagation.extract(ROOT_CONTEXT, metadata, metadataGetter)
      : ROOT_CONTEXT;
    const rpcMethod = method.replace(/^\//, '');
    const span = tracer().startSpan(
      rpcMethod,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC,
          [ATTR_RPC_METHOD]: rpcMethod,
          'nextx.request_id': requestId,
        },
      },
      parent,
    );
    const callContext = trace.setSpan(parent, span);
    /** Runs `work` as part of this call: its span active, its request id current. */
    const inCall = <T>(work: () => T): T =>
      otelContext.with(callContext, () => withRequestId(requestId, work));

    const started = performance.now();
    this.metrics.inFlight.inc({ method });
    let finished = false;
    const finish = (code: status, error?: unknown) => {
      if (finished) return;
      finished = true;
      const seconds = (performance.now() - started) / 1000;
      this.metrics.inFlight.dec({ method });
      this.metrics.duration.observe({ method }, seconds);
      this.metrics.requests.inc({ method, code: status[code] });
      span.setAttribute(ATTR_RPC_STATUS_CODE, status[code]);
      if (SERVER_ERRORS.has(code)) {
        if (error instanceof Error) span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: status[code] });
      }
      inCall(() =>
        this.logger.log(
          { msg: 'call', method, code: status[code], ms: Math.round(seconds * 1000) },
          'GrpcCall',
        ),
      );
      span.end();
    };
    // Nest binds the handler to the async context in which `handle()` is called: calling it
    // inside `inCall` puts a unary handler's work (and every await in it) in the call's context.
    const handled = inCall(() => next.handle()).pipe(
      tap({
        complete: () => finish(status.OK),
        error: (error: unknown) =>
          finish(toGrpcError(error instanceof RpcException ? error.getError() : error).code, error),
        // A client that cancels unsubscribes without complete or error.
        finalize: () => finish(status.CANCELLED),
      }),
    );
    // A streaming handler returns a cold Observable whose work starts when Nest's server
    // subscribes, outside the call's context: subscribing inside `inCall` puts that work in it.
    return new Observable((subscriber) => inCall(() => handled.subscribe(subscriber)));
  }
}
