import { projectTestConfig } from '../../vitest.shared';

export default projectTestConfig({ timeoutMs: 180_000 });
