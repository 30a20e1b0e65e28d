export * from './license-key';
export * from './license-file';
