import type { FastifyReply } from 'fastify';
import type { FileBody } from './file-outputs';
import { httpStatusOf } from './grpc-http-status';
import { retryAfterSeconds, type RpcStatusJson } from './rpc-status-json';

/**
 * Answers with a google.rpc.Status as JSON under the HTTP status grpc-gateway gives its code;
 * a RESOURCE_EXHAUSTED that says when to retry also gets `Retry-After`.
 */
export function sendStatus(
  reply: FastifyReply,
  body: RpcStatusJson,
  http = httpStatusOf(body.code),
): FastifyReply {
  const retry = retryAfterSeconds(body) ?? (http === 429 || http === 503 ? 1 : undefined);
  if (retry !== undefined) reply.header('retry-after', String(retry));
  return reply.code(http).type('application/json').send(JSON.stringify(body));
}

/** Answers with a binary result, offered as a download under its file name. */
export function sendFile(reply: FastifyReply, file: FileBody): FastifyReply {
  return reply
    .code(200)
    .type(file.mediaType)
    .header('content-disposition', `inline; filename="${file.fileName.replace(/[^\w.-]/g, '_')}"`)
    .send(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength));
}
