import tsconfigPaths from 'vite-tsconfig-paths';
import { defineConfig } from 'vitest/config';

/** One test setup for every project: specs beside the code, tsconfig paths resolved. */
export function projectTestConfig(options: { timeoutMs?: number } = {}) {
  return defineConfig({
    plugins: [tsconfigPaths({ root: new URL('.', import.meta.url).pathname })],
    test: {
      include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      environment: 'node',
      pool: 'forks',
      // One test file at a time: several tests start services and measure responsiveness, and the
      // reference machine has two cores.
      fileParallelism: false,
      testTimeout: options.timeoutMs ?? 30_000,
      hookTimeout: 60_000,
      reporters: ['default'],
    },
  });
}
