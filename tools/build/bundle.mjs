#!/usr/bin/env node
// Bundles one app (apps/<name>/src/main.ts and any src/**/*.worker.ts) into dist/apps/<name>/
// with esbuild: our libs are inlined through the tsconfig paths, npm packages stay external.
// Services also get healthcheck.mjs (the container HEALTHCHECK), and every bundle a
// meta.json (esbuild's metafile) from which tools/build/runtime-deps.mjs finds the npm packages
// it imports.
import { build } from 'esbuild';
import { cpSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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
const entryPoints = findEntries(src).map((path) => ({
  in: path,
  out: relative(src, path).replace(/\.ts$/, ''),
}));
if (projectRoot !== 'apps/cli')
  entryPoints.push({ in: 'libs/grpc/src/health/healthcheck.main.ts', out: 'healthcheck' });
const result = await build({
  entryPoints,
  outdir: join('dist', projectRoot),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  tsconfig: 'tsconfig.base.json',
  plugins: [externalPackages],
  logLevel: 'warning',
  metafile: true,
});
writeFileSync(join('dist', projectRoot, 'meta.json'), JSON.stringify(result.metafile));
// Static pages an app serves (the gateway's playground) sit beside its bundle, as in the source.
if (existsSync(join(src, 'playground')))
  cpSync(join(src, 'playground'), join('dist', projectRoot, 'playground'), { recursive: true });
console.log(`bundled ${relative('.', src)} -> dist/${projectRoot}`);
