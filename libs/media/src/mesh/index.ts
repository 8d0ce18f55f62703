export * from './mesh-writers';
export * from './voxel-grid';
export * from './voxel-render';
export * from './voxel-surface';
