import { status } from '@grpc/grpc-js';
import { InvalidArgumentError, NotFoundError, ResourceExhaustedError } from '@nextx/engine';
import { describe, expect, it } from 'vitest';
import { ERROR_DETAIL_KEY, toGrpcError } from './grpc-error';

describe('toGrpcError', () => {
  it('maps a bad field to INVALID_ARGUMENT with the field and limit in message and metadata', () => {
    const error = toGrpcError(new InvalidArgumentError('series.values', '<= 10 values', 'got 11'));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe('series.values: got 11 (limit: <= 10 values)');
    const detail = JSON.parse(String(error.metadata!.get(ERROR_DETAIL_KEY)[0]));
    expect(detail).toEqual({ field: 'series.values', limit: '<= 10 values', message: 'got 11' });
  });

  it('keeps metadata ASCII: non-ASCII limits are escaped and survive JSON parsing', () => {
    const error = toGrpcError(new InvalidArgumentError('mask_png', 'a 32×32 PNG', 'got 4×4'));
    const raw = String(error.metadata!.get(ERROR_DETAIL_KEY)[0]);
    expect(raw).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(raw)).toEqual({
      field: 'mask_png',
      limit: 'a 32×32 PNG',
      message: 'got 4×4',
    });
  });

  it('maps full queues, unknown names and aborts', () => {
    expect(toGrpcError(new ResourceExhaustedError('queue', '8 requests')).code).toBe(
      status.RESOURCE_EXHAUSTED,
    );
    expect(toGrpcError(new NotFoundError('model', 'x')).code).toBe(status.NOT_FOUND);
    expect(toGrpcError(Object.assign(new Error('stop'), { name: 'AbortError' })).code).toBe(
      status.CANCELLED,
    );
  });

  it('keeps explicit gRPC statuses and hides unknown errors behind INTERNAL', () => {
    expect(toGrpcError({ code: status.DEADLINE_EXCEEDED, message: 'late' })).toMatchObject({
      code: status.DEADLINE_EXCEEDED,
      details: 'late',
    });
    expect(toGrpcError(new TypeError('secret path /etc'))).toMatchObject({
      code: status.INTERNAL,
      details: 'internal error',
    });
  });
});
