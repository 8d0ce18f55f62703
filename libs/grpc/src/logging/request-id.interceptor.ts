import { Metadata, ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { REQUEST_ID_KEY, requestIdOf } from '@nextx/telemetry';

/**
 * Server interceptor that gives every call a request id and echoes it to the client: the
 * client's `x-request-id` metadata when it is well formed (up to 64 characters of
 * `[A-Za-z0-9._-]`), else a new UUID written over it. Handlers and the call interceptor read
 * the id from the metadata; the client gets it in the response headers (or the trailers of a call
 * that fails before any message), so a caller can quote it when it reports a problem.
 */
export function requestIdInterceptor(): ServerInterceptor {
  return (_method, call) => {
    let requestId: string | undefined;
    let headersSent = false;
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            requestId = requestIdOf(metadata.get(REQUEST_ID_KEY)[0]);
            metadata.set(REQUEST_ID_KEY, requestId);
            pass(metadata);
          },
        }),
      sendMetadata: (metadata, next) => {
        headersSent = true;
        if (requestId) metadata.set(REQUEST_ID_KEY, requestId);
        next(metadata);
      },
      sendStatus: (status, next) => {
        if (!requestId || headersSent) return next(status);
        const metadata = status.metadata ?? new Metadata();
        metadata.set(REQUEST_ID_KEY, requestId);
        next({ ...status, metadata });
      },
    });
  };
}
