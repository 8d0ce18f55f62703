export * from './beta-schedules';
export * from './respacing';
export * from './diffusion-scheduler';
export * from './ddpm-scheduler';
export * from './ddim-scheduler';
