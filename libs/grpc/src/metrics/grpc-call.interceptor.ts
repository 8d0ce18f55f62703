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

/** Counts, times and logs every gRPC call (one structured log line per finished call). */
@Injectable()
export class GrpcCallInterceptor implements NestInterceptor {
  constructor(
    @Inject(GrpcMetrics) private readonly metrics: GrpcMetrics,
    @Inject(LOGGER) private readonly logger: LoggerService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const method = `${context.getClass().name}.${context.getHandler().name}`;
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
