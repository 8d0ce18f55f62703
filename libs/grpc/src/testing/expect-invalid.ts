import { status, type ServiceError } from '@grpc/grpc-js';
import { expect } from 'vitest';
import { ERROR_DETAIL_KEY } from '../errors/grpc-error';
import { readStatusDetails } from '../errors/status-details';

/**
 * Asserts that `call` fails with INVALID_ARGUMENT naming `field` with a limit matching `limit`,
 * both in the `nextx-error-detail` metadata and in the standard `google.rpc.BadRequest` of
 * `grpc-status-details-bin` — what every service promises for bad input.
 */
export async function expectInvalidArgument(
  call: Promise<unknown>,
  field: string,
  limit: RegExp,
): Promise<void> {
  const error = (await call.then(
    () => undefined,
    (e: ServiceError) => e,
  )) as ServiceError | undefined;
  expect(error, `expected INVALID_ARGUMENT for ${field}`).toBeDefined();
  expect(error?.code).toBe(status.INVALID_ARGUMENT);
  expect(error?.details).toContain(field);
  const detail = JSON.parse(String(error?.metadata.get(ERROR_DETAIL_KEY)[0]));
  expect(detail.field).toBe(field);
  expect(detail.limit).toMatch(limit);
  const violations = error && readStatusDetails(error)?.badRequest?.fieldViolations;
  expect(violations?.map((v) => v.field)).toEqual([field]);
  expect(violations?.[0]?.description).toMatch(limit);
}
