import {
  loadPackageDefinition,
  Metadata,
  type CallOptions,
  type Client,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Observable } from 'rxjs';
import { clientCredentials, clientSecurityOptions, type ClientSecurity } from './client-security';
import { loadProtoFiles } from './proto-loading';

type RequestOf<M> = M extends (request: infer Q, ...rest: never[]) => unknown ? Q : never;
type ResponseOf<M> = M extends (...args: never[]) => Observable<infer R> ? R : never;

/** Per-call settings. */
export interface CallSettings {
  /** Deadline in milliseconds from now; propagated to the server. */
  readonly timeoutMs?: number;
  /** Cancels the call. */
  readonly signal?: AbortSignal;
  readonly metadata?: Metadata;
}

/**
 * A grpc-js client typed by the ts-proto `*Client` interface of a service: method names and
 * message types come from the generated code, calls return Promises and async iterables.
 */
export class TypedGrpcClient<C> {
  private readonly client: Client & Record<string, (...args: unknown[]) => unknown>;

  /**
   * @param address host:port
   * @param protoFile proto file (relative to the proto root) that defines the service
   * @param service fully-qualified service name, e.g. `nextx.timeseries.v1.TimeSeries`
   * @param options grpc-js channel options
   * @param security TLS/mTLS and API key; default plaintext without a key
   */
  constructor(
    address: string,
    protoFile: string,
    service: string,
    options: Record<string, unknown> = {},
    security: ClientSecurity = {},
  ) {
    const definition = loadPackageDefinition(loadProtoFiles([protoFile]));
    const Constructor = service
      .split('.')
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], definition) as
      | (new (
          address: string,
          creds: ReturnType<typeof clientCredentials>,
          options: object,
        ) => Client)
      | undefined;
    if (typeof Constructor !== 'function')
      throw new Error(`service ${service} not found in ${protoFile}`);
    this.client = new Constructor(address, clientCredentials(security), {
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      ...clientSecurityOptions(security),
      ...options,
    }) as Client & Record<string, (...args: unknown[]) => unknown>;
  }

  /** Calls a unary method. */
  unary<K extends keyof C & string>(
    method: K,
    request: RequestOf<C[K]>,
    settings: CallSettings = {},
  ): Promise<ResponseOf<C[K]>> {
    return new Promise((resolve, reject) => {
      const call = this.client[method](
        request,
        settings.metadata ?? new Metadata(),
        callOptions(settings),
        (error: ServiceError | null, response: ResponseOf<C[K]>) =>
          error ? reject(error) : resolve(response),
      ) as { cancel(): void };
      settings.signal?.addEventListener('abort', () => call.cancel(), { once: true });
    });
  }

  /** Calls a server-streaming method; iterate the result for the messages. */
  stream<K extends keyof C & string>(
    method: K,
    request: RequestOf<C[K]>,
    settings: CallSettings = {},
  ): AsyncIterable<ResponseOf<C[K]>> & { cancel(): void } {
    const call = this.client[method](
      request,
      settings.metadata ?? new Metadata(),
      callOptions(settings),
    ) as ClientReadableStream<ResponseOf<C[K]>>;
    settings.signal?.addEventListener('abort', () => call.cancel(), { once: true });
    // The call object already has cancel(); the cast only states that it is iterable too.
    return call as unknown as AsyncIterable<ResponseOf<C[K]>> & { cancel(): void };
  }

  close(): void {
    this.client.close();
  }
}

function callOptions(settings: CallSettings): CallOptions {
  return settings.timeoutMs ? { deadline: Date.now() + settings.timeoutMs } : {};
}
