export * from './simulate-ar';
export * from './vega-datasets';
