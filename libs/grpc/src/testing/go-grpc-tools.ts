import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { workspaceRoot } from './spawned-service';

const run = promisify(execFile);

/** A command-line gRPC tool that `tools/install.sh` builds into `.tools/bin`. */
export type GoGrpcTool = 'grpcurl' | 'grpc-health-probe';

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

async function runTool(
  tool: GoGrpcTool,
  args: readonly string[],
): Promise<{ stdout: string; stderr: string }> {
  const path = goGrpcToolPath(tool);
  try {
    return await run(path, [...args], { timeout: 30_000 });
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
export async function grpcurl(
  address: string,
  args: readonly string[],
  data?: object,
): Promise<string> {
  const body = data === undefined ? [] : ['-d', JSON.stringify(data)];
  const { stdout } = await runTool('grpcurl', ['-plaintext', ...body, address, ...args]);
  return stdout;
}

/**
 * Runs `grpc-health-probe` against `address` (overall health, or one `service`) and returns its
 * report (`status: SERVING`).
 *
 * @throws Error when the probe exits non-zero (not SERVING, or no answer).
 */
export async function grpcHealthProbe(address: string, service?: string): Promise<string> {
  const { stdout, stderr } = await runTool('grpc-health-probe', [
    `-addr=${address}`,
    ...(service === undefined ? [] : [`-service=${service}`]),
  ]);
  // The probe reports through Go's log package, which writes to stderr.
  return stdout + stderr;
}
