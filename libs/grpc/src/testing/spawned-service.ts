import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientSecurity } from '../clients/client-security';
import { checkHealth } from '../clients/health-client';

/** A service started as its own OS process, the way it runs in production. */
export interface SpawnedService {
  readonly process: ChildProcess;
  /** Everything the process wrote (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** The Nx workspace root (where tsx finds the tsconfig with the path aliases). */
export function workspaceRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('nx.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

/**
 * Spawns `node --import tsx <entry>` with `env`, and (unless `waitForHealth` is false) waits
 * until its health check answers SERVING (through `security` when the service uses TLS).
 */
export async function spawnService(
  entry: string,
  env: Record<string, string>,
  options: {
    address?: string;
    waitForHealth?: boolean;
    timeoutMs?: number;
    security?: ClientSecurity;
  } = {},
): Promise<SpawnedService> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: workspaceRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const service = { process: child, output: () => output, exited };
  if (options.waitForHealth === false || !options.address) return service;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`service exited with ${child.exitCode}:\n${output}`);
    const status = await checkHealth(options.address, '', 500, options.security).catch(
      () => 'DOWN',
    );
    if (status === 'SERVING') return service;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`service at ${options.address} not healthy in time:\n${output}`);
}
