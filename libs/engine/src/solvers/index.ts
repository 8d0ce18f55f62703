export * from './flow-solver';
export * from './euler-flow-solver';
export * from './heun-flow-solver';
export * from './euler-maruyama-flow-solver';
