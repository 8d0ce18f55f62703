export * from './schedule';
export * from './raster-schedule';
export * from './next-scale-schedule';
export * from './next-block-schedule';
export * from './masked-set-schedule';
export * from './cell-flow-schedule';
export * from './delay-pattern-schedule';
export * from './magnet-schedule';
