export * from './free-port';
export * from './spawned-service';
export * from './health-latency';
export * from './go-grpc-tools';
