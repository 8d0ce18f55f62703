export * from './free-port';
export * from './spawned-service';
