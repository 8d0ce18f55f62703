export * from './catalog/audio-catalog';
export * from './models/audio-manifest';
export * from './models/codec-decoder';
export * from './models/codebook-models';
export * from './pipelines/audio-pipeline';
export * from './tasks/audio-tasks';
export * from './quality/yin-pitch';
export * from './quality/note-judge';
