#!/usr/bin/env node
// Copies the production npm packages one bundled app needs, and nothing else, into
// <dest>/node_modules: the packages its bundle imports (esbuild's metafile, dist/apps/<name>/
// meta.json) and their dependencies, resolved the way Node resolves them (nested
// node_modules first, then upwards), so a container image carries only that service's packages.
// onnxruntime-node keeps only the native binaries of this platform and architecture.
//   node tools/build/runtime-deps.mjs apps/<name> <dest>
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';

const [projectRoot, dest] = process.argv.slice(2);
if (!projectRoot?.startsWith('apps/') || !dest) {
  console.error('usage: node tools/build/runtime-deps.mjs apps/<name> <dest>');
  process.exit(2);
}
const root = process.cwd();
const metafile = JSON.parse(readFileSync(join('dist', projectRoot, 'meta.json'), 'utf8'));

const builtins = new Set(builtinModules);
/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
const imported = new Set();
for (const output of Object.values(metafile.outputs))
  for (const { path, external } of output.imports)
    if (external && !path.startsWith('node:') && !builtins.has(packageName(path)))
      imported.add(packageName(path));

/** Directory of `name` as Node finds it from `fromDir` (a package folder or the root). */
function resolvePackage(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

// Packages an app serves files of without importing them (the gateway's browser libraries),
// named in its package.json as "servesPackages".
const appManifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
for (const name of appManifest.servesPackages ?? []) imported.add(name);

const found = new Map(); // package dir → name
const missing = [];
const queue = [...imported].map((name) => ({ name, from: root, required: true }));
while (queue.length) {
  const { name, from, required } = queue.shift();
  const dir = resolvePackage(name, from);
  if (!dir) {
    if (required) missing.push(`${name} (needed from ${relative(root, from) || '.'})`);
    continue;
  }
  if (found.has(dir)) continue;
  found.set(dir, name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys(manifest.dependencies ?? {}))
    queue.push({ name: dep, from: dir, required: true });
  // Optional dependencies count where they are installed (a platform binary); peers count
  // unless marked optional (rxjs for @nestjs/core does; kafkajs for @nestjs/microservices not).
  const optionalPeers = manifest.peerDependenciesMeta ?? {};
  for (const dep of [
    ...Object.keys(manifest.optionalDependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}).filter((peer) => !optionalPeers[peer]?.optional),
  ])
    queue.push({ name: dep, from: dir, required: false });
}
if (missing.length) {
  console.error(`missing packages (run npm ci first): ${missing.join(', ')}`);
  process.exit(1);
}

const platformDir = `${process.platform}${sep}${process.arch}`;
for (const dir of [...found.keys()].sort()) {
  const target = join(dest, relative(root, dir));
  rmSync(target, { recursive: true, force: true });
  cpSync(dir, target, {
    recursive: true,
    filter: (source) => {
      const inside = relative(dir, source);
      // Nested packages are copied on their own when something needs them.
      if (inside.split(sep)[0] === 'node_modules') return false;
      // onnxruntime-node ships every platform's binaries (~280 MB); keep this one's.
      const napi = /^bin[\\/]napi-v\d+[\\/](\w+)(?:[\\/](\w+))?/.exec(inside);
      if (found.get(dir) === 'onnxruntime-node' && napi?.[2] && `${napi[1]}${sep}${napi[2]}` !== platformDir)
        return false;
      return true;
    },
  });
}
const bytes = [...found.keys()].reduce((sum, dir) => sum + duBytes(join(dest, relative(root, dir))), 0);
console.log(
  `${projectRoot}: ${found.size} packages (${imported.size} imported by the bundle), ${(bytes / 2 ** 20).toFixed(1)} MiB -> ${join(dest, 'node_modules')}`,
);

function duBytes(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const entry of readdirSyncSafe(path)) total += duBytes(join(path, entry));
  return total;
}
function readdirSyncSafe(path) {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
