export * from './config';
export * from './logging';
export * from './problem';
export * from './validation';
export * from './metrics';
export * from './health';
export * from './bootstrap';
export * from './main';
