import {
  Catch,
  Inject,
  type ArgumentsHost,
  type LoggerService,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { LOGGER } from '../bootstrap/tokens';
import { RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { throwError, type Observable } from 'rxjs';
import { toGrpcError, type GrpcError } from './grpc-error';

/**
 * Ends every failed call with a proper gRPC status (see {@link toGrpcError}). Registered
 * globally so handlers simply throw domain errors.
 */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(@Inject(LOGGER) private readonly logger: LoggerService) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<GrpcError> {
    const error = toGrpcError(exception instanceof RpcException ? exception.getError() : exception);
    if (error.code === status.INTERNAL) {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    return throwError(() => error);
  }
}
