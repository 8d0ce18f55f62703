export * from './png-declaring';
