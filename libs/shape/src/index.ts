export * from './catalog/shape-catalog';
export * from './models/octree-prefix-model';
export * from './models/shape-manifest';
export * from './pipelines/octree-voxels';
export * from './pipelines/shape-pipeline';
export * from './quality/shape-metrics';
export * from './tasks/shape-tasks';
export * from './quality/shape-judge';
