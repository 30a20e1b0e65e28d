/** Injection tokens every service provides (see the event store's `serviceModule`). */

/** The service's validated configuration (its own typed config object). */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
/** The service's pino logger. */
export const LOGGER = Symbol('LOGGER');
/** What "now" is: a function, so that tests and deciders get time passed in. */
export const CLOCK = Symbol('CLOCK');
export type Clock = () => Date;
