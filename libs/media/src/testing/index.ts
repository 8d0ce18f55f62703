export * from './png-declaring';
export * from './gltf-validation';
