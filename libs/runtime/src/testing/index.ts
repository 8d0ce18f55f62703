export * from './reference-models';
