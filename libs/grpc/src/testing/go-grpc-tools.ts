import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { workspaceRoot } from './spawned-service';

const run = promisify(execFile);

/** A command-line gRPC tool that `tools/install.sh` builds into `.tools/bin`. */
export type GoGrpcTool = 'grpcurl' | 'grpc_health_probe';

/**
 * Absolute path of a tool in `.tools/bin`.
 *
 * @throws Error saying how to build it when it is missing, so a test that needs it fails
 *   with the reason instead of being skipped.
 */
export function goGrpcToolPath(tool: GoGrpcTool): string {
  const path = join(workspaceRoot(), '.tools', 'bin', tool);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is missing: run bash tools/install.sh (builds it with Go)`);
  }
  return path;
}

async function runTool(tool: GoGrpcTool, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(goGrpcToolPath(tool), [...args], { timeout: 30_000 });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${tool} ${args.join(' ')} failed: ${failed.stderr || failed.stdout || failed.message}`,
    );
  }
}

/**
 * Runs grpcurl in plaintext against `address` — a third-party client that knows nothing but
 * what server reflection tells it — and returns its stdout.
 *
 * @param args what follows the address, e.g. `['describe', 'nextx.image.v1.ImageGeneration']`;
 *   a request body is passed with `data`.
 * @throws Error with grpcurl's stderr when it exits non-zero.
 */
export function grpcurl(
  address: string,
  args: readonly string[],
  data?: object,
): Promise<string> {
  const body = data === undefined ? [] : ['-d', JSON.stringify(data)];
  return runTool('grpcurl', ['-plaintext', ...body, address, ...args]);
}

/**
 * Runs `grpc_health_probe` against `address` (overall health, or one `service`) and returns its
 * output (`status: SERVING`).
 *
 * @throws Error when the probe exits non-zero (not SERVING, or no answer).
 */
export function grpcHealthProbe(address: string, service?: string): Promise<string> {
  return runTool('grpc_health_probe', [
    `-addr=${address}`,
    ...(service === undefined ? [] : [`-service=${service}`]),
  ]);
}
