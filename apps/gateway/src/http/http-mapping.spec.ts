import { Metadata, status } from '@grpc/grpc-js';
import { encodeStatusDetails } from '@nextx/grpc';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../config';
import { deadlineOf } from './call-context';
import { InFlightLimit } from './in-flight-limit';
import { wantsFile } from './file-outputs';
import { httpStatusOf } from './grpc-http-status';
import { retryAfterSeconds, statusJsonOfGrpcError } from './rpc-status-json';
import { SSE_WRITER, NDJSON_WRITER } from './stream-writers';

describe('gRPC → HTTP mapping', () => {
  it('maps codes as grpc-gateway does', () => {
    expect(
      [
        status.INVALID_ARGUMENT,
        status.NOT_FOUND,
        status.RESOURCE_EXHAUSTED,
        status.UNAVAILABLE,
        status.DEADLINE_EXCEEDED,
        status.UNAUTHENTICATED,
        status.PERMISSION_DENIED,
        status.FAILED_PRECONDITION,
        status.ALREADY_EXISTS,
        status.CANCELLED,
        status.INTERNAL,
      ].map(httpStatusOf),
    ).toEqual([400, 404, 429, 503, 504, 401, 403, 400, 409, 499, 500]);
  });

  it('turns the grpc-status-details-bin trailer into google.rpc.Status JSON with @type, and reads Retry-After', () => {
    const metadata = new Metadata();
    metadata.set(
      'grpc-status-details-bin',
      encodeStatusDetails(status.RESOURCE_EXHAUSTED, 'queue full', {
        retryInfo: { retryDelay: { seconds: 2, nanos: 500_000_000 } },
        badRequest: {
          fieldViolations: [
            {
              field: 'num_images',
              description: 'too many',
              reason: '',
              localizedMessage: undefined,
            },
          ],
        },
      }),
    );
    const json = statusJsonOfGrpcError({
      code: status.RESOURCE_EXHAUSTED,
      details: 'queue full',
      metadata,
    });
    expect(json.code).toBe(8);
    expect(json.details.map((d) => d['@type'])).toEqual([
      'type.googleapis.com/google.rpc.BadRequest',
      'type.googleapis.com/google.rpc.RetryInfo',
    ]);
    expect(retryAfterSeconds(json)).toBe(3);
    expect(statusJsonOfGrpcError({ code: status.UNAVAILABLE, details: 'down' })).toEqual({
      code: 14,
      message: 'down',
      details: [],
    });
  });

  it("the client's Grpc-Timeout may shorten the deadline, never lengthen it", () => {
    expect(deadlineOf(undefined, 1000, 0)).toEqual({ deadline: 1000 });
    expect(deadlineOf('200m', 1000, 0)).toEqual({ deadline: 200 });
    expect(deadlineOf('5M', 1000, 0)).toEqual({ deadline: 1000 });
    expect(deadlineOf('soon', 1000, 0)).toHaveProperty('problem');
  });

  it('sends a file only when Accept names its type ahead of JSON', () => {
    expect(wantsFile('image/png', ['image/png'])).toBe(true);
    expect(wantsFile('audio/*', ['audio/wav'])).toBe(true);
    expect(wantsFile('*/*', ['image/png'])).toBe(false);
    expect(wantsFile('application/json', ['image/png'])).toBe(false);
    expect(wantsFile(undefined, ['image/png'])).toBe(false);
  });

  it('frames streams as SSE events or grpc-gateway NDJSON lines', () => {
    expect(SSE_WRITER.message({ a: 1 }, 3)).toBe('id: 3\nevent: message\ndata: {"a":1}\n\n');
    expect(SSE_WRITER.end()).toBe('event: end\ndata: {}\n\n');
    expect(NDJSON_WRITER.message({ a: 1 }, 0)).toBe('{"result":{"a":1}}\n');
    expect(NDJSON_WRITER.error({ code: 3, message: 'x', details: [] })).toBe(
      '{"error":{"code":3,"message":"x","details":[]}}\n',
    );
  });
});

describe('InFlightLimit', () => {
  it('hands out GATEWAY_MAX_IN_FLIGHT slots, then none until one is released (once)', () => {
    const limit = new InFlightLimit({ maxInFlight: 2 } as GatewayConfig);
    const a = limit.acquire()!;
    const b = limit.acquire();
    expect(b).toBeDefined();
    expect(limit.acquire()).toBeUndefined();
    a();
    a();
    expect(limit.inFlight).toBe(1);
    expect(limit.acquire()).toBeDefined();
    expect(limit.acquire()).toBeUndefined();
  });
});
