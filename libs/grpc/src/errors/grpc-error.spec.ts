import { status } from '@grpc/grpc-js';
import { InvalidArgumentError, NotFoundError, ResourceExhaustedError } from '@nextx/engine';
import { describe, expect, it } from 'vitest';
import { ERROR_DOMAIN, ErrorReason } from './error-reason';
import { ERROR_DETAIL_KEY, toGrpcError } from './grpc-error';
import { readStatusDetails } from './status-details';

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

  it('carries google.rpc.Status details: BadRequest for a bad field', () => {
    const error = toGrpcError(new InvalidArgumentError('series.values', '<= 10 values', 'got 11'));
    const decoded = readStatusDetails(error);
    expect(decoded).toMatchObject({
      code: status.INVALID_ARGUMENT,
      message: 'series.values: got 11 (limit: <= 10 values)',
      badRequest: {
        fieldViolations: [
          {
            field: 'series.values',
            description: 'got 11 (limit: <= 10 values)',
            reason: ErrorReason.INVALID_FIELD,
          },
        ],
      },
      errorInfo: { reason: ErrorReason.INVALID_FIELD, domain: ERROR_DOMAIN },
    });
  });

  it('tells a full queue by ErrorInfo QUEUE_FULL and says when to retry', () => {
    const error = toGrpcError(new ResourceExhaustedError('image queue', '2 + 8', 1250));
    expect(readStatusDetails(error)).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      errorInfo: { reason: ErrorReason.QUEUE_FULL, domain: ERROR_DOMAIN },
      retryInfo: { retryDelay: { seconds: 1, nanos: 250_000_000 } },
    });
    const noHint = readStatusDetails(toGrpcError(new ResourceExhaustedError('q', '1')));
    expect(noHint?.retryInfo).toBeUndefined();
  });

  it('names the missing resource in ResourceInfo, echoing only a short prefix of the name', () => {
    const decoded = readStatusDetails(toGrpcError(new NotFoundError('image model', 'nope')));
    expect(decoded?.resourceInfo).toMatchObject({
      resourceType: 'image model',
      resourceName: 'nope',
    });
    expect(decoded?.errorInfo?.reason).toBe(ErrorReason.NOT_FOUND);
    const long = readStatusDetails(toGrpcError(new NotFoundError('model', 'x'.repeat(5000))));
    expect(long!.resourceInfo!.resourceName.length).toBeLessThan(100);
  });

  it('never sends a status message longer than a short, bounded size', () => {
    const long = 'm'.repeat(80_000);
    for (const error of [
      new NotFoundError('image model', long),
      new InvalidArgumentError('model.name', 'known', `got ${long}`),
      { code: status.INTERNAL, details: long },
    ]) {
      const mapped = toGrpcError(error);
      expect(mapped.details.length).toBeLessThan(1100);
      const bytes = mapped.metadata?.getMap() ?? {};
      for (const value of Object.values(bytes)) expect(value.length).toBeLessThan(4000);
    }
  });
});
