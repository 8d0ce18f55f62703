import { z } from 'zod';

const boundedInt = (min: number, max: number) =>
  z.coerce
    .number({ message: 'expected a number' })
    .int({ message: 'expected an integer' })
    .min(min, { message: `expected >= ${min}` })
    .max(max, { message: `expected <= ${max}` });

/** Integer environment value within [min, max], `fallback` when unset. */
export const envInt = (fallback: number, min: number, max: number) =>
  boundedInt(min, max).default(fallback);

/** Optional integer environment value within [min, max] (undefined when unset). */
export const envIntOptional = (min: number, max: number) => boundedInt(min, max).optional();

/** `on` / `off` environment switch as a boolean, `fallback` when unset. */
export const envSwitch = (fallback: 'on' | 'off') =>
  z
    .enum(['on', 'off'], { message: 'expected on or off' })
    .default(fallback)
    .transform((value) => value === 'on');
