import { projectTestConfig } from '../../vitest.shared';

export default projectTestConfig({ timeoutMs: 120_000 });
