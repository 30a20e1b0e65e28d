import type { Upstream } from './upstream/upstream';

export const PORTAL_CONFIG = Symbol('PORTAL_CONFIG');
export const SESSION_STORE = Symbol('SESSION_STORE');
export const UPSTREAMS = Symbol('UPSTREAMS');
export const WEB_FILES = Symbol('WEB_FILES');

/** The services the portal calls for the customer. */
export interface Upstreams {
  account: Upstream;
  license: Upstream;
  tracking: Upstream;
  /** The sales desk's purchase orders (staff only). */
  poIntake: Upstream;
}
