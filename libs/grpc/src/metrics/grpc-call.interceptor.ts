import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type LoggerService,
  type NestInterceptor,
} from '@nestjs/common';
import { LOGGER } from '../bootstrap/tokens';
import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
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

/** Counts, times and logs every gRPC call (one structured log line per finished call). */
@Injectable()
export class GrpcCallInterceptor implements NestInterceptor {
  constructor(
    @Inject(GrpcMetrics) private readonly metrics: GrpcMetrics,
    @Inject(LOGGER) private readonly logger: LoggerService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const method = grpcMethodOf(context);
    const started = performance.now();
    this.metrics.inFlight.inc({ method });
    let finished = false;
    const finish = (code: status) => {
      if (finished) return;
      finished = true;
      const seconds = (performance.now() - started) / 1000;
      this.metrics.inFlight.dec({ method });
      this.metrics.duration.observe({ method }, seconds);
      this.metrics.requests.inc({ method, code: status[code] });
      this.logger.log(
        { msg: 'call', method, code: status[code], ms: Math.round(seconds * 1000) },
        'GrpcCall',
      );
    };
    return next.handle().pipe(
      tap({
        complete: () => finish(status.OK),
        error: (error: unknown) =>
          finish(toGrpcError(error instanceof RpcException ? error.getError() : error).code),
        // A client that cancels unsubscribes without complete or error.
        finalize: () => finish(status.CANCELLED),
      }),
    );
  }
}
