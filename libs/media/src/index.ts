export * from './csv/series-csv';
export * from './svg/forecast-plot';
export * from './png/png-encoder';
export * from './video/grey-clip';
export * from './video/gif-encoder';
export * from './video/mp4-encoder';
export * from './video/clip-encoder';
export * from './video/probe-clip';
