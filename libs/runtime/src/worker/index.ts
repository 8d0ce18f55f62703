export * from './worker-host';
export * from './worker-pool';
export * from './worker-protocol';
