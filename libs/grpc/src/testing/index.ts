export * from './free-port';
export * from './spawned-service';
export * from './health-latency';
export * from './go-grpc-tools';
export * from './test-certs';
export * from './security-suite';
export * from './overload-suite';
export * from './grpcurl-suite';
