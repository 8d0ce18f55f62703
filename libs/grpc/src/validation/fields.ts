import { InvalidArgumentError } from '@nextx/engine';

/** Longest model name or version a request may carry (checked before any look-up). */
export const MAX_NAME_CHARS = 256;

/**
 * Request-field checks shared by every service. Each throws {@link InvalidArgumentError} naming
 * the field and the limit, which the exception filter turns into INVALID_ARGUMENT.
 */
export const check = {
  /** `value` is a number within [min, max] (integers only when `integer`). */
  range(field: string, value: number, min: number, max: number, integer = false): number {
    const kind = integer ? 'an integer' : 'a number';
    if (
      !Number.isFinite(value) ||
      (integer && !Number.isInteger(value)) ||
      value < min ||
      value > max
    ) {
      throw new InvalidArgumentError(field, `${kind} in [${min}, ${max}]`, `got ${value}`);
    }
    return value;
  },

  /**
   * A proto `float` field within [min, max], compared in float32: the documented minimum 0.01
   * arrives as 0.009999999776 (its nearest float32) and is accepted. NaN and ±Infinity never are.
   */
  floatRange(field: string, value: number, min: number, max: number): number {
    const v = Math.fround(value);
    if (!Number.isFinite(v) || v < Math.fround(min) || v > Math.fround(max)) {
      throw new InvalidArgumentError(field, `a number in [${min}, ${max}]`, `got ${value}`);
    }
    return value;
  },

  /** `value` lies strictly inside (min, max). */
  openRange(field: string, value: number, min: number, max: number): number {
    if (!Number.isFinite(value) || value <= min || value >= max) {
      throw new InvalidArgumentError(field, `in (${min}, ${max})`, `got ${value}`);
    }
    return value;
  },

  /** An array has between min and max entries. */
  length(field: string, values: ArrayLike<unknown>, min: number, max: number): void {
    if (values.length < min || values.length > max) {
      throw new InvalidArgumentError(field, `${min} to ${max} values`, `got ${values.length}`);
    }
  },

  /** Every entry is a finite number (no NaN, no ±Infinity). */
  finite(field: string, values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new InvalidArgumentError(`${field}[${i}]`, 'finite numbers only', `got ${values[i]}`);
      }
    }
  },

  /** Entries increase strictly. */
  increasing(field: string, values: ArrayLike<number>): void {
    for (let i = 1; i < values.length; i++) {
      if (!(values[i] > values[i - 1])) {
        throw new InvalidArgumentError(
          `${field}[${i}]`,
          'strictly increasing',
          `${values[i]} after ${values[i - 1]}`,
        );
      }
    }
  },

  /**
   * A string has at most `maxChars` characters. Checked before the value is looked up or echoed,
   * so a huge string never reaches an error message (which travels in an HTTP/2 header).
   */
  text(field: string, value: string, maxChars: number): string {
    if (value.length > maxChars) {
      throw new InvalidArgumentError(
        field,
        `<= ${maxChars} characters`,
        `got ${value.length} characters`,
      );
    }
    return value;
  },

  /** A `ModelRef`'s name and version are within {@link MAX_NAME_CHARS}; `prefix` names it. */
  modelRef(prefix: string, ref: { name?: string; version?: string } | null | undefined): void {
    check.text(`${prefix}.name`, ref?.name ?? '', MAX_NAME_CHARS);
    check.text(`${prefix}.version`, ref?.version ?? '', MAX_NAME_CHARS);
  },

  /** `value` is one of `allowed`. */
  oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(
        field,
        `one of ${allowed.join(', ')}`,
        `got ${JSON.stringify(value.slice(0, 64))}${value.length > 64 ? '…' : ''}`,
      );
    }
    return value as T;
  },
};
