import { z } from 'zod';

/** A bad environment value: the process stops at start with this message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

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

/**
 * Validates `env` against `schema` once, at start. Every problem is reported with the variable
 * name, what was expected and what was given.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.');
    return `${key}=${JSON.stringify(env[key] ?? '')}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}
