export * from './models/video-models';
export * from './pipelines/clip-spec';
export * from './pipelines/object-motion';
export * from './pipelines/video-pipeline';
export * from './quality/clip-quality';
export * from './tasks/chunk-tasks';
export * from './tasks/video-engine';
export * from './tasks/video-tasks';
