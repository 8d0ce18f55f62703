export * from './worker-host';
export * from './worker-pool';
export * from './worker-protocol';
export * from './cached-loader';
export * from './serve-model-tasks';
