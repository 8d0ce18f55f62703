export * from './env-config';
export * from './grpc-security';
export * from './tracing-config';
