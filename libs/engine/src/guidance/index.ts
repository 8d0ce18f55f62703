export * from './apply-cfg';
export type { GuidanceSchedule } from './guidance-schedule';
export * from './constant-guidance';
export * from './linear-ramp-guidance';
export * from './mar-ramp-guidance';
export * from './magnet-annealed-guidance';
