export * from './api-keys';
export * from './config-error';
export * from './config-problems';
export * from './env-config';
export * from './env-values';
export * from './grpc-security';
export * from './generation-env';
