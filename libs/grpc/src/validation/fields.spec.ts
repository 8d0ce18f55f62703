import { InvalidArgumentError } from '@nextx/engine';
import { describe, expect, it } from 'vitest';
import { check } from './fields';

describe('check', () => {
  it('accepts values inside the limits', () => {
    expect(check.range('horizon', 5, 1, 10, true)).toBe(5);
    expect(check.openRange('q', 0.5, 0, 1)).toBe(0.5);
    expect(() => check.length('v', [1, 2], 1, 2)).not.toThrow();
    expect(() => check.finite('v', [1, 2])).not.toThrow();
    expect(check.oneOf('m', 'ar', ['ar', 'arnet'])).toBe('ar');
  });

  it('names the field and the limit when a value is outside', () => {
    expect(() => check.range('horizon', 11, 1, 10, true)).toThrow(
      'horizon: got 11 (limit: an integer in [1, 10])',
    );
    expect(() => check.range('horizon', 1.5, 1, 10, true)).toThrow(InvalidArgumentError);
    expect(() => check.openRange('quantiles[0]', 1, 0, 1)).toThrow(
      'quantiles[0]: got 1 (limit: in (0, 1))',
    );
    expect(() => check.length('series.values', [], 1, 5)).toThrow(
      'series.values: got 0 (limit: 1 to 5 values)',
    );
    expect(() => check.finite('series.values', [1, Number.NaN])).toThrow(
      'series.values[1]: got NaN',
    );
    expect(() => check.increasing('t', [1, 3, 2])).toThrow(
      't[2]: 2 after 3 (limit: strictly increasing)',
    );
    expect(() => check.oneOf('m', 'x', ['ar'])).toThrow('m: got "x" (limit: one of ar)');
  });

  it('caps strings by a declared length before they are looked up or echoed', () => {
    expect(check.text('page_token', '100', 64)).toBe('100');
    expect(() => check.text('page_token', 'x'.repeat(65), 64)).toThrow(
      'page_token: got 65 characters (limit: <= 64 characters)',
    );
    expect(() => check.modelRef('clip.model', { name: 'm'.repeat(80_000), version: '' })).toThrow(
      'clip.model.name: got 80000 characters',
    );
    expect(() => check.oneOf('m', 'x'.repeat(80_000), ['ar'])).toThrow(/^.{0,120}$/);
  });
});
