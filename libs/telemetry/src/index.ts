export * from './context/request-context';
export * from './metrics/model-load';
export * from './tracing/otlp-json-lines-exporter';
export * from './tracing/propagation';
export * from './tracing/spans';
export * from './tracing/tracing';
