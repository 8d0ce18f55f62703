import {
  ServerInterceptingCall,
  status,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { ERROR_DOMAIN, ErrorReason } from '../errors/error-reason';
import { grpcErrorWithDetails } from '../errors/grpc-error';
import { STATUS_DETAILS_KEY } from '../errors/status-details';

type SentStatus = Parameters<ServerInterceptingCallInterface['sendStatus']>[0];

/** grpc-js's own wording when a request is over `grpc.max_receive_message_length`. */
const SIZE_LIMIT_DETAILS = /^Received message .*larger than/;

/** True for grpc-js's own size-limit refusal (ours always carry status details). */
function isSizeLimitRefusal(sent: SentStatus): boolean {
  return (
    sent.code === status.RESOURCE_EXHAUSTED &&
    SIZE_LIMIT_DETAILS.test(sent.details) &&
    !sent.metadata?.get(STATUS_DETAILS_KEY).length
  );
}

/**
 * Server interceptor that gives grpc-js's refusal of an oversized request the standard details
 * (ErrorInfo MESSAGE_TOO_LARGE with the limit), so clients can tell it from a full queue, which
 * is RESOURCE_EXHAUSTED too. grpc-js checks the size while decoding, before any handler or
 * interceptor sees the message, and ends the call from its base call object; wrapping that
 * object's `sendStatus` is the one place its status passes through.
 *
 * @param maxBytes the server's `maxReceiveMessageLength` (MAX_MESSAGE_BYTES)
 */
export function messageTooLargeInterceptor(maxBytes: number): ServerInterceptor {
  return (_method, call) => {
    const sendStatus = call.sendStatus.bind(call);
    call.sendStatus = (sent: SentStatus) => {
      if (!isSizeLimitRefusal(sent)) return sendStatus(sent);
      const limit = `<= ${maxBytes} bytes`;
      const error = grpcErrorWithDetails(
        status.RESOURCE_EXHAUSTED,
        sent.details,
        {
          errorInfo: {
            reason: ErrorReason.MESSAGE_TOO_LARGE,
            domain: ERROR_DOMAIN,
            metadata: { limit_bytes: String(maxBytes) },
          },
        },
        { field: '', limit, message: sent.details },
      );
      return sendStatus({ code: error.code, details: error.details, metadata: error.metadata });
    };
    return new ServerInterceptingCall(call);
  };
}
