import type { TextHeaders } from '@nextx/telemetry';
import type { IHeaders } from 'kafkajs';

/** Attributes of a Kafka span (OpenTelemetry messaging conventions). */
export function messagingAttributes(topic: string, operation: 'send' | 'process') {
  return {
    'messaging.system': 'kafka',
    'messaging.destination.name': topic,
    'messaging.operation.type': operation,
  } as const;
}

/**
 * Kafka record headers as text (kafkajs hands them over as Buffers): what `correlationFrom`
 * reads the sender's `traceparent` and `x-request-id` from. A header sent twice counts once.
 */
export function headersAsText(headers: IHeaders | undefined): TextHeaders {
  const text: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) text[key] = first.toString();
  }
  return text;
}
