/** What {@link callSignal} needs of a grpc-js server call. */
export interface CancellableCall {
  on(event: 'cancelled', listener: () => void): unknown;
  readonly cancelled?: boolean;
}

/**
 * An AbortSignal that fires when a unary call ends without its answer: the client cancelled,
 * its deadline passed, or the connection dropped (grpc-js emits `cancelled` for each). Streams
 * get the same from their Observable's teardown; unary handlers pass this to their work.
 */
export function callSignal(call: CancellableCall | undefined): AbortSignal {
  const controller = new AbortController();
  if (!call) return controller.signal;
  if (call.cancelled) controller.abort();
  else call.on('cancelled', () => controller.abort());
  return controller.signal;
}
