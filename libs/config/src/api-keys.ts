import { createHash } from 'node:crypto';
import type { ConfigProblems } from './config-problems';

/** Shortest API key accepted, characters: a guessable key is no key. */
export const MIN_API_KEY_CHARS = 16;

/** One accepted API key: what identifies it and which methods it may call. */
export interface ApiKey {
  /** SHA-256 of the key ({@link apiKeyDigest}); the key itself is not kept. */
  readonly digest: Buffer;
  /**
   * Method patterns the key may call (`/package.Service/Method`, `*` matching any characters,
   * e.g. `/nextx.image.v1.ImageGeneration/*` or `*\/GetModel`); absent = every method.
   */
  readonly methods?: readonly string[];
}

/** SHA-256 of an API key: keys are compared as equal-length digests, in constant time. */
export function apiKeyDigest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** A full method path, or a glob over method paths (`*` = any run of characters). */
const PATTERN_CHARS = /^[/*][\w.*/]*$/;
const FULL_METHOD = /^\/\w+(\.\w+)*\/\w+$/;

/** What is wrong with a method pattern, or undefined when it is one. */
export function methodPatternProblem(pattern: string): string | undefined {
  const usage = 'expected /package.Service/Method, * matching any characters';
  if (!PATTERN_CHARS.test(pattern)) return `method pattern "${pattern}": ${usage}`;
  // Without a wildcard a pattern names one method; one that is no method path is a typo that
  // would silently deny everything.
  if (!pattern.includes('*') && !FULL_METHOD.test(pattern))
    return `method pattern "${pattern}" names no method: ${usage}`;
  return undefined;
}

/**
 * A predicate over gRPC method paths (`/package.Service/Method`) for validated patterns: true
 * when any pattern matches the whole path; without patterns every method matches.
 */
export function methodMatcher(patterns: readonly string[] | undefined): (path: string) => boolean {
  if (!patterns) return () => true;
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const regexps = patterns.map(
    (pattern) => new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`),
  );
  return (path) => regexps.some((regexp) => regexp.test(path));
}

function keyProblem(key: string): string | undefined {
  if (key.length < MIN_API_KEY_CHARS) {
    // `KEY /a/B,*/GetModel` in GRPC_API_KEYS splits into two keys at the comma.
    const hint = key.includes('/')
      ? ' (in GRPC_API_KEYS commas separate keys: separate the methods of a key with spaces)'
      : '';
    return `a key is shorter than ${MIN_API_KEY_CHARS} characters${hint}`;
  }
  if (/[^\x21-\x7e]/.test(key)) return 'a key has a character outside printable ASCII';
  return undefined;
}

/**
 * One entry: the key, then optionally the methods it may call, separated by spaces or commas
 * (`KEY /nextx.image.v1.ImageGeneration/ListModels,*\/GetModel`).
 */
function parseEntry(entry: string): { key?: ApiKey; problem?: string } {
  const [key = '', ...rest] = entry.trim().split(/\s+/);
  // The value is a secret: problems name the entry, never the key.
  const problem = keyProblem(key);
  if (problem) return { problem };
  const methods = rest
    .join(' ')
    .split(/[\s,]+/)
    .filter(Boolean);
  const bad = methods.map(methodPatternProblem).find(Boolean);
  if (bad) return { problem: bad };
  return { key: { digest: apiKeyDigest(key), ...(methods.length ? { methods } : {}) } };
}

const sameMethods = (a: ApiKey, b: ApiKey) =>
  JSON.stringify(a.methods ?? null) === JSON.stringify(b.methods ?? null);

/**
 * Reads the accepted API keys from `GRPC_API_KEYS_FILE` (one entry a line, blank lines and `#`
 * comments skipped) and `GRPC_API_KEYS` (entries separated by commas, so there the methods of a
 * key are separated by spaces). Problems go to `problems`, naming the variable and the line or
 * entry, never a key.
 */
export function loadApiKeys(
  env: { readonly GRPC_API_KEYS_FILE?: string; readonly GRPC_API_KEYS?: string },
  problems: ConfigProblems,
): ApiKey[] {
  const keys: ApiKey[] = [];
  const take = (entries: { text: string; where: string }[], report: (p: string) => void) => {
    for (const { text, where } of entries) {
      const { key, problem } = parseEntry(text);
      if (problem) report(`${where}: ${problem}`);
      const seen = key && keys.find((k) => k.digest.equals(key.digest));
      if (key && seen && !sameMethods(seen, key))
        report(`${where}: the key is listed before with other methods; give each key one entry`);
      else if (key && !seen) keys.push(key);
    }
  };
  const path = env.GRPC_API_KEYS_FILE;
  if (path) {
    const text = problems.read('GRPC_API_KEYS_FILE', path)?.toString('utf8');
    if (text !== undefined) {
      const lines = text
        .split(/\r?\n/)
        .map((line, i) => ({ text: line.trim(), where: `line ${i + 1}` }))
        .filter((line) => line.text && !line.text.startsWith('#'));
      if (!lines.length) problems.add('GRPC_API_KEYS_FILE', path, 'the file has no keys');
      take(lines, (p) => problems.add('GRPC_API_KEYS_FILE', path, p));
    }
  }
  if (env.GRPC_API_KEYS !== undefined) {
    const entries = env.GRPC_API_KEYS.split(',')
      .map((text) => text.trim())
      .filter(Boolean)
      .map((text, i) => ({ text, where: `entry ${i + 1}` }));
    if (!entries.length) problems.list.push('GRPC_API_KEYS: no keys (unset it to turn keys off)');
    take(entries, (p) => problems.list.push(`GRPC_API_KEYS: ${p}`));
  }
  return keys;
}
