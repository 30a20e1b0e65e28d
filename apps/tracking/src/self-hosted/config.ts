import { resolve } from 'node:path';
import { EnvReader, readHttpServiceConfig, type HttpServiceConfig } from '@otl/platform';
import type { LeaseTiming } from '../leases/lease-store';
import { checkLeaseTiming, readLeaseTiming, readRateLimit } from '../leases/timing';
import { DEFAULT_PORT, SERVICE_NAME } from '../mode';
import { loadVendorKeys, type VendorKeys } from './vendor-keys';

/** Where the vendor's release public keys ship (relative to the working directory, as npm runs it). */
export const SHIPPED_VENDOR_KEYS_FILE = 'apps/tracking/vendor-keys.jwks.json';

export interface SelfHostedConfig extends HttpServiceConfig {
  /** Absolute: identity, licences and leases (lts.sqlite) live here. */
  dataDir: string;
  /** The JWKS licence files are verified against (LTS_VENDOR_KEYS_FILE), read at start-up. */
  vendorKeys: VendorKeys;
  timing: LeaseTiming;
  rateLimitPerMinute: number;
  /** Milliseconds between sweeps that end expired leases and drop old ended ones. */
  sweepIntervalMs: number;
}

/** The self-hosted server's settings; every problem is reported at once, naming the variable. */
export function loadSelfHostedConfig(
  source: Record<string, string | undefined> = process.env,
): SelfHostedConfig {
  const env = new EnvReader(source);
  const http = readHttpServiceConfig(env, SERVICE_NAME, DEFAULT_PORT);
  const dataDir = env.string('LTS_DATA_DIR', {
    hint: 'the directory where this server keeps its identity, licences and leases, e.g. /var/lib/lts',
  });
  const vendorKeysFile = env.string('LTS_VENDOR_KEYS_FILE', { default: SHIPPED_VENDOR_KEYS_FILE });
  const timing = readLeaseTiming(env);
  const rateLimitPerMinute = readRateLimit(env);
  const sweepSeconds = env.int('LTS_SWEEP_SECONDS', { default: 60, min: 1, max: 24 * 3600 });
  env.done();
  checkLeaseTiming(timing);
  // A missing, broken or empty key file is a configuration error too (exit 78, naming the file).
  const vendorKeys = loadVendorKeys(resolve(vendorKeysFile));
  return {
    ...http,
    dataDir: resolve(dataDir),
    vendorKeys,
    timing,
    rateLimitPerMinute,
    sweepIntervalMs: sweepSeconds * 1000,
  };
}
