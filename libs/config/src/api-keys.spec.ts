import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiKeyDigest, loadApiKeys, methodMatcher, methodPatternProblem } from './api-keys';
import { ConfigProblems } from './config-problems';

const KEY_A = 'a'.repeat(16);
const KEY_B = 'b'.repeat(20);
const KEY_C = 'c'.repeat(24);
const KEY_D = 'd'.repeat(24);

function load(env: { GRPC_API_KEYS_FILE?: string; GRPC_API_KEYS?: string }) {
  const problems = new ConfigProblems();
  return { keys: loadApiKeys(env, problems), problems: problems.list };
}

describe('method patterns', () => {
  it('match whole method paths; * matches any characters; no patterns match everything', () => {
    const matches = methodMatcher(['/nextx.image.v1.ImageGeneration/ListModels', '*/GetModel']);
    expect(matches('/nextx.image.v1.ImageGeneration/ListModels')).toBe(true);
    expect(matches('/nextx.video.v1.VideoGeneration/GetModel')).toBe(true);
    expect(matches('/nextx.image.v1.ImageGeneration/Generate')).toBe(false);
    expect(matches('/nextx.image.v1.ImageGeneration/ListModelsX')).toBe(false);
    // The dots of a service name are literal, not "any character".
    expect(
      methodMatcher(['/nextx.image.v1.ImageGeneration/*'])('/nextxAimage.v1.ImageGeneration/X'),
    ).toBe(false);
    expect(
      methodMatcher(['/nextx.image.v1.ImageGeneration/*'])(
        '/nextx.image.v1.ImageGeneration/Generate',
      ),
    ).toBe(true);
    expect(methodMatcher(undefined)('/any.Service/Method')).toBe(true);
    expect(methodMatcher(['*'])('/any.Service/Method')).toBe(true);
  });

  it('refuses what is no method path or glob over them', () => {
    expect(methodPatternProblem('/grpc.health.v1.Health/Check')).toBeUndefined();
    expect(methodPatternProblem('*/GetModel')).toBeUndefined();
    expect(methodPatternProblem('/nextx.*')).toBeUndefined();
    expect(methodPatternProblem('ListModels')).toMatch(/expected \/package.Service\/Method/);
    expect(methodPatternProblem('/nextx.image.v1.ImageGeneration')).toMatch(/names no method/);
    expect(methodPatternProblem('/a.B/C?')).toMatch(/method pattern "\/a.B\/C\?"/);
  });
});

describe('loadApiKeys', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nextx-api-keys-'));
    await writeFile(
      join(dir, 'keys'),
      [
        '# reader: only the model list',
        `${KEY_A} /nextx.image.v1.ImageGeneration/ListModels,*/GetModel`,
        `${KEY_B}`,
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'bad-pattern'), `${KEY_A}\n${KEY_B} ListModels\n`);
    await writeFile(join(dir, 'twice'), `${KEY_A}\n${KEY_A} */ListModels\n`);
  });

  it('a line is a key and optionally its methods; in GRPC_API_KEYS spaces separate methods', () => {
    const { keys, problems } = load({
      GRPC_API_KEYS_FILE: join(dir, 'keys'),
      GRPC_API_KEYS: `${KEY_C} /a.B/C  */GetModel , ${KEY_D}`,
    });
    expect(problems).toEqual([]);
    expect(keys).toEqual([
      {
        digest: apiKeyDigest(KEY_A),
        methods: ['/nextx.image.v1.ImageGeneration/ListModels', '*/GetModel'],
      },
      { digest: apiKeyDigest(KEY_B) },
      { digest: apiKeyDigest(KEY_C), methods: ['/a.B/C', '*/GetModel'] },
      { digest: apiKeyDigest(KEY_D) },
    ]);
  });

  it('names the file and line of a bad pattern, never the key', () => {
    const { problems } = load({ GRPC_API_KEYS_FILE: join(dir, 'bad-pattern') });
    expect(problems).toEqual([
      expect.stringMatching(
        /^GRPC_API_KEYS_FILE=".*bad-pattern": line 2: method pattern "ListModels"/,
      ),
    ]);
    expect(problems.join()).not.toContain(KEY_B);
  });

  it('refuses one key listed with two different method lists', () => {
    expect(load({ GRPC_API_KEYS_FILE: join(dir, 'twice') }).problems).toEqual([
      expect.stringMatching(/line 2: the key is listed before with other methods/),
    ]);
    // Listed twice with the same rights is harmless.
    expect(load({ GRPC_API_KEYS: `${KEY_A},${KEY_A}` }).keys).toHaveLength(1);
  });

  it('says why when a comma splits the methods of a key in GRPC_API_KEYS', () => {
    const { problems } = load({ GRPC_API_KEYS: `${KEY_A} /a.B/C,*/GetModel` });
    expect(problems).toEqual([
      'GRPC_API_KEYS: entry 2: a key is shorter than 16 characters (in GRPC_API_KEYS commas separate keys: separate the methods of a key with spaces)',
    ]);
  });
});
