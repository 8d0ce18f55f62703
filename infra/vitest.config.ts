import { projectTestConfig } from '../vitest.shared';

const config = projectTestConfig({ timeoutMs: 60_000 });
// The specs check deployment files, not code: they live beside the chart, under helm/test.
config.test = { ...config.test, include: ['helm/test/**/*.spec.ts'] };

export default config;
