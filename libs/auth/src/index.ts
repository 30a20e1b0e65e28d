export * from './keys';
export * from './jwt';
export * from './jwks-client';
export * from './guard';
export * from './module';
export * from './config';
