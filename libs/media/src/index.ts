export * from './csv/series-csv';
export * from './svg/forecast-plot';
