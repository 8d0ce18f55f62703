import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { JsonValue } from '@bufbuild/protobuf';
import type { RpcStatusJson } from './rpc-status-json';

/** Writes the messages of a server stream to an HTTP response, one framing or another. */
export interface StreamWriter {
  readonly contentType: string;
  message(json: JsonValue, index: number): string;
  error(status: RpcStatusJson): string;
  end(): string;
}

/**
 * Server-Sent Events: `event: message` per gRPC message (its proto3 JSON as `data`, its index
 * as `id`), then `event: end`; a failure is `event: error` with the google.rpc.Status JSON.
 */
export const SSE_WRITER: StreamWriter = {
  contentType: 'text/event-stream; charset=utf-8',
  message: (json, index) => `id: ${index}\nevent: message\ndata: ${JSON.stringify(json)}\n\n`,
  error: (status) => `event: error\ndata: ${JSON.stringify(status)}\n\n`,
  end: () => 'event: end\ndata: {}\n\n',
};

/** grpc-gateway's stream framing: one JSON object a line, `{"result": …}` or `{"error": …}`. */
export const NDJSON_WRITER: StreamWriter = {
  contentType: 'application/x-ndjson; charset=utf-8',
  message: (json) => `${JSON.stringify({ result: json })}\n`,
  error: (status) => `${JSON.stringify({ error: status })}\n`,
  end: () => '',
};

/** Whether the client asked for Server-Sent Events. */
export function wantsEventStream(accept: string | undefined): boolean {
  return !!accept && accept.toLowerCase().includes('text/event-stream');
}

/** Writes `text`, waiting for the socket to drain when its buffer is full. */
export async function writeWithBackpressure(response: ServerResponse, text: string): Promise<void> {
  // A client that went away never drains: its close ends the wait too.
  if (!response.write(text)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
}
