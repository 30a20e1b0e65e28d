export const LICENSE_FILE_KEYS = Symbol('LICENSE_FILE_KEYS');
