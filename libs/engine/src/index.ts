export * from './random/rng';
export * from './errors/invalid-argument';
export * from './generation/generator';
export * from './generation/step-model';
export * from './generation/decoder';
export * from './generators/raster-generator';
export * from './sampling';
export * from './generators/next-scale-generator';
