export * from './admission-queue';
export * from './admitted-run';
export * from './generation-metrics';
