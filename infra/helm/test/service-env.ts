import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './toolchain';

/** What an app's config.ts says about the process: the variables it reads and its default ports. */
export interface ServiceEnv {
  /** Every environment variable the process reads at start. */
  readonly names: ReadonlySet<string>;
  /** `<X>_PORTS = { port, metricsPort }` of a gRPC service; absent for a worker. */
  readonly ports?: { readonly grpc: number; readonly metrics: number };
}

const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');

/** Keys of the zod env schemas in a source file: `  NAME: z.…` / `  NAME: envInt(…)`. */
function schemaKeys(source: string): string[] {
  return [...source.matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*:/gm)].map((m) => m[1]);
}

/**
 * The variables apps/<app> reads, taken from its source rather than a list kept here: the keys of
 * its own config.ts schema, plus those of each shared loader it calls (libs/config's service,
 * security and tracing schemas, `loadGenerationSettings` under the app's prefix, libs/jobs's
 * Kafka settings, the image's health check). A variable the chart sets that none of them names
 * is one the service ignores.
 */
export function serviceEnv(app: string): ServiceEnv {
  const configPath = `apps/${app}/src/config.ts`;
  if (!existsSync(join(repoRoot, configPath)))
    throw new Error(`${configPath} not found: an example is named after the app it deploys`);
  const config = read(configPath);
  const names = new Set(schemaKeys(config));
  const add = (path: string) => schemaKeys(read(path)).forEach((name) => names.add(name));
  if (/\b(serviceEnvSchema|loadServiceConfig)\b/.test(config)) {
    add('libs/config/src/env-config.ts');
    add('libs/config/src/grpc-security.ts');
    add('libs/config/src/tracing-config.ts');
  }
  if (/\bloadTracingConfig\b/.test(config)) add('libs/config/src/tracing-config.ts');
  // The gateway spreads the services' security schema into its own.
  if (/\bsecurityEnvSchema\b/.test(config)) add('libs/config/src/grpc-security.ts');
  if (/\bloadJobsConfig\b/.test(config)) {
    add('libs/jobs/src/config/jobs-config.ts');
    add('libs/jobs/src/config/kafka-security.ts');
  }
  const generation = /loadGenerationSettings\(\s*env,\s*'([A-Z]+)'/.exec(config);
  if (generation) {
    const source = read('libs/config/src/generation-env.ts');
    add('libs/config/src/generation-env.ts');
    for (const m of source.matchAll(/`\$\{prefix\}(_[A-Z_]+)`/g)) names.add(generation[1] + m[1]);
  }
  // Every image bundles the container health check beside main.mjs, reading the same environment:
  // its quoted upper-case names with an underscore (env['…'] and file('…') look-ups alike).
  for (const m of read('libs/grpc/src/health/container-healthcheck.ts').matchAll(
    /'([A-Z][A-Z0-9]*_[A-Z0-9_]+)'/g,
  ))
    names.add(m[1]);
  const ports = /_PORTS = \{ port: (\d+), metricsPort: (\d+) \}/.exec(config);
  return {
    names,
    ...(ports ? { ports: { grpc: Number(ports[1]), metrics: Number(ports[2]) } } : {}),
  };
}
