import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * npm packages whose files the playground and /docs load, served under /vendor/<name>/; the
 * app's package.json names the same ones as "servesPackages" (so its container image has them).
 */
export const VENDOR_PACKAGES = ['chart.js', '@google/model-viewer', 'swagger-ui-dist'] as const;

const require = createRequire(import.meta.url);

/** The folder of an installed npm package (its package.json need not be exported). */
export function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name)
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package ${name} not found`);
    dir = parent;
  }
}

/** The playground's static files: beside this module in the bundle, in src/ in the source tree. */
export function playgroundDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'playground'), join(here, '..', 'playground')])
    if (existsSync(candidate)) return candidate;
  throw new Error(`playground not found beside ${here}`);
}

/**
 * Serves the playground at `/` and each vendor package under `/vendor/<name>/`: every script a
 * page loads comes from the gateway, none from a CDN.
 */
export async function registerStaticAssets(fastify: FastifyInstance): Promise<void> {
  await fastify.register(fastifyStatic, {
    root: playgroundDir(),
    prefix: '/',
    index: 'index.html',
  });
  for (const name of VENDOR_PACKAGES)
    await fastify.register(fastifyStatic, {
      root: packageDir(name),
      prefix: `/vendor/${name}/`,
      decorateReply: false,
      // Only files meant for browsers: no listings, no dotfiles.
      dotfiles: 'deny',
    });
}
