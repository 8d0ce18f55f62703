export * from './models/code-decoder';
export * from './quality/digit-classifier';
export * from './models/image-manifest';
export * from './models/var-models';
export * from './pipelines/raster-pipeline';
export * from './pipelines/var-pipeline';
export * from './tasks/image-tasks';
export * from './catalog/image-catalog';
