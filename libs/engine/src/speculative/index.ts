export * from './acceptance-rule';
export { StandardAcceptance } from './standard-acceptance';
export * from './lantern-acceptance';
export * from './neighbour-table';
export * from './verify-draft';
export * from './acceptance-stats';
export * from './continuous-speculation';
