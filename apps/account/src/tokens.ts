export const ACCESS_TOKEN_RING = Symbol('ACCESS_TOKEN_RING');
