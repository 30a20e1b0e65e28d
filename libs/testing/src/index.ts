export * from './env';
export * from './postgres';
export * from './wait';
export * from './kafka';
export * from './decider';
export * from './webhooks';
export * from './service';
export * from './mail';
