export * from './codebook-generation';
export * from './delay-pattern-generator';
export * from './masked-codebook-generator';
