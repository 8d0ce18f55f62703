import { Client, Metadata, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { clientCredentials, clientSecurityOptions, type ClientSecurity } from '@nextx/grpc';

/** Per-call settings of a backend call. */
export interface BackendCallOptions {
  readonly metadata: Metadata;
  /** Absolute deadline, ms since the epoch. */
  readonly deadline: number;
  /** Aborting it cancels the call (the backend sees CANCELLED and stops its generation). */
  readonly signal: AbortSignal;
}

const identity = (bytes: Buffer | Uint8Array): Buffer => Buffer.from(bytes);

/**
 * One gRPC channel to a backend that carries messages already encoded: the gateway encodes and
 * decodes them itself, from the compiled descriptors, so it needs no per-service client code and
 * a field added to a proto passes through as soon as the descriptor set is regenerated.
 */
export class BackendChannel {
  private readonly client: Client;

  constructor(
    readonly address: string,
    security: ClientSecurity,
  ) {
    this.client = new Client(address, clientCredentials(security), {
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      ...clientSecurityOptions(security),
    });
  }

  /** Calls a unary method with an encoded request; resolves with the encoded response. */
  unary(path: string, request: Uint8Array, options: BackendCallOptions): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest<Uint8Array, Buffer>(
        path,
        identity,
        identity,
        request,
        options.metadata,
        { deadline: options.deadline },
        (error: ServiceError | null, response?: Buffer) =>
          error ? reject(error) : resolve(response ?? Buffer.alloc(0)),
      );
      cancelOnAbort(options.signal, () => call.cancel());
    });
  }

  /** Calls a server-streaming method; iterate the result for the encoded messages. */
  stream(
    path: string,
    request: Uint8Array,
    options: BackendCallOptions,
  ): ClientReadableStream<Buffer> {
    const call = this.client.makeServerStreamRequest<Uint8Array, Buffer>(
      path,
      identity,
      identity,
      request,
      options.metadata,
      { deadline: options.deadline },
    );
    cancelOnAbort(options.signal, () => call.cancel());
    return call;
  }

  close(): void {
    this.client.close();
  }
}

function cancelOnAbort(signal: AbortSignal, cancel: () => void): void {
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
}
