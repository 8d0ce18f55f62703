import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (this file is infra/helm/test/toolchain.ts). */
export const repoRoot = resolve(import.meta.dirname, '../../..');
/** The chart under test. */
export const chartDir = join(repoRoot, 'infra/helm/nextx-service');
/** The per-service example values. */
export const examplesDir = join(repoRoot, 'infra/helm/examples');
/** The Go module of the strict manifest checker. */
export const kubecheckModule = join(repoRoot, 'infra/helm/kubecheck');

/** What a finished command left behind. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Path of a tool that tools/install.sh builds into .tools/bin; throws, with what to run, when it
 * is not there, so every test that needs it fails with the reason instead of being skipped.
 */
export function tool(name: 'helm' | 'kubecheck'): string {
  const path = join(repoRoot, '.tools/bin', name);
  if (!existsSync(path))
    throw new Error(
      `${path} is missing: run \`bash tools/install.sh\` (it builds helm v3.22.0 from the Go module proxy and kubecheck from infra/helm/kubecheck; needs Go)`,
    );
  return path;
}

/**
 * The Go command: on the PATH, else where the official tarball puts it (tools/install.sh looks
 * there too); throws with what to install when there is none.
 */
export function goCommand(): string {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    if (!spawnSync(candidate, ['version'], { encoding: 'utf8' }).error) return candidate;
  }
  throw new Error(
    'go not found: the go test of kubecheck needs Go >= 1.26 (tools/install.sh installs golang-go with apt-get)',
  );
}

/** Runs a command to its end; a command that cannot start (not installed) throws with its error. */
export function run(
  command: string,
  args: readonly string[],
  options: { input?: string; cwd?: string; timeoutMs?: number } = {},
): CommandResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? repoRoot,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 30_000,
  });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** `helm template <release> nextx-service -f <values> --set …`. */
export function helmTemplate(
  release: string,
  valuesFile: string,
  set: readonly string[] = [],
): CommandResult {
  return run(tool('helm'), [
    'template',
    release,
    chartDir,
    '--namespace',
    'nextx',
    '-f',
    valuesFile,
    ...set.flatMap((s) => ['--set', s]),
  ]);
}

/** `helm lint --strict nextx-service -f <values> --set …`. */
export function helmLint(valuesFile: string, set: readonly string[] = []): CommandResult {
  return run(tool('helm'), [
    'lint',
    '--strict',
    chartDir,
    '-f',
    valuesFile,
    ...set.flatMap((s) => ['--set', s]),
  ]);
}

/** Rendered YAML through `kubecheck --json`: on success stdout is the documents as a JSON array. */
export function kubecheck(yaml: string): CommandResult {
  return run(tool('kubecheck'), ['--json'], { input: yaml });
}
