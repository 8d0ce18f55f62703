export * from './admission-queue';
export * from './admitted-run';
export * from './generation-metrics';
export * from './generation-service';
export * from './generation-providers';
