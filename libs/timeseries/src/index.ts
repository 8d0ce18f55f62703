export * from './arnet';
export * from './forecaster';
export * from './lag-design';
export * from './least-squares-ar';
export * from './linear-ar';
export * from './metrics';
export * from './series-model';
export * from './simulate';
