export * from './random/rng';
export * from './errors/invalid-argument';
