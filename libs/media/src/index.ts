export * from './csv/series-csv';
export * from './svg/forecast-plot';
export * from './png/png-encoder';
