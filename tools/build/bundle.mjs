#!/usr/bin/env node
// Bundles one app (apps/<name>/src/main.ts and any src/**/*.worker.ts) into dist/apps/<name>/
// with esbuild: our libs are inlined through the tsconfig paths, npm packages stay external.
import { build } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const projectRoot = process.argv[2];
if (!projectRoot || !projectRoot.startsWith('apps/')) {
  console.error('usage: node tools/build/bundle.mjs apps/<name>');
  process.exit(2);
}

function findEntries(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findEntries(path);
    return name === 'main.ts' || name.endsWith('.worker.ts') ? [path] : [];
  });
}

const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@nextx/') ? undefined : { path: args.path, external: true },
    );
  },
};

const src = join(projectRoot, 'src');
await build({
  entryPoints: findEntries(src),
  outdir: join('dist', projectRoot),
  outbase: src,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  tsconfig: 'tsconfig.base.json',
  plugins: [externalPackages],
  logLevel: 'warning',
});
console.log(`bundled ${relative('.', src)} -> dist/${projectRoot}`);
