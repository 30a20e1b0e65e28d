/** The self-hosted server's own providers. */
export const SQLITE = Symbol('SQLITE');
export const VENDOR_KEYS = Symbol('VENDOR_KEYS');
export const INSTANCE = Symbol('INSTANCE');
