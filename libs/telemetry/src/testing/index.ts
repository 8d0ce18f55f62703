export * from './span-file';
