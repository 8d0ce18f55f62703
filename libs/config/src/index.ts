export * from './env-config';
export * from './grpc-security';
