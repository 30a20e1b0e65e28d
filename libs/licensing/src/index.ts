export * from './license-key';
export * from './license-file';
export * from './license-api';
