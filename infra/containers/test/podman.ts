import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The settings this sandbox needs (runc, ulimits, host network), as the build scripts use. */
export const CONTAINERS_CONF = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'containers.conf',
);

/** Runs `podman args…`; resolves with stdout, rejects with podman's stderr in the message. */
export async function podman(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('podman', args, {
      env: { ...process.env, CONTAINERS_CONF: process.env['CONTAINERS_CONF'] ?? CONTAINERS_CONF },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`podman ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

/** Exit status of `podman args…` (no throw). */
export async function podmanStatus(...args: string[]): Promise<number> {
  return podman(...args).then(
    () => 0,
    () => 1,
  );
}

/** Fails with the reason when podman cannot run containers here (never a silent skip). */
export async function requirePodman(images: readonly string[]): Promise<void> {
  await podman('info', '--format', '{{.Host.OCIRuntime.Name}}').catch((error: Error) => {
    throw new Error(
      `podman cannot run here (${error.message.slice(0, 300)}); install it with ` +
        '`apt-get install podman runc` (infra/containers/podman-env.sh does) and build the images ' +
        'with `bash infra/containers/build.sh`',
    );
  });
  for (const image of images)
    if ((await podmanStatus('image', 'exists', image)) !== 0)
      throw new Error(`image ${image} missing: run bash infra/containers/build.sh first`);
}

/** A started container; `remove()` kills and deletes it (and is safe to call twice). */
export interface Container {
  readonly name: string;
  logs(): Promise<string>;
  /** Exit code once it stopped (`podman wait`). */
  exitCode(): Promise<number>;
  remove(): Promise<void>;
}

/** `podman run -d` with the given env, volumes and extra arguments. */
export async function startContainer(
  image: string,
  name: string,
  options: { env?: Record<string, string>; volumes?: string[]; args?: string[] } = {},
): Promise<Container> {
  await podman('rm', '-f', name).catch(() => undefined);
  const args = ['run', '-d', '--name', name];
  for (const [key, value] of Object.entries(options.env ?? {})) args.push('-e', `${key}=${value}`);
  for (const volume of options.volumes ?? []) args.push('-v', volume);
  await podman(...args, ...(options.args ?? []), image);
  return {
    name,
    logs: () => podman('logs', name).catch((e: Error) => e.message),
    exitCode: async () => Number(await podman('wait', name)),
    remove: async () => {
      await podman('rm', '-f', '-t', '0', name).catch(() => undefined);
    },
  };
}

/** Image size in MB (10^6 bytes), as `podman images` reports it. */
export async function imageSizeMb(image: string): Promise<number> {
  return Number(await podman('image', 'inspect', '--format', '{{.Size}}', image)) / 1e6;
}
