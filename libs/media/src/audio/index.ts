export * from './pcm';
export * from './wav';
export * from './audio-encoder';
