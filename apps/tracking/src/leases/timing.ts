import { ConfigError, type EnvReader } from '@otl/platform';
import type { LeaseTiming } from './lease-store';

/** LTS_LEASE_TTL_SECONDS (default 600) and LTS_HEARTBEAT_SECONDS (default 180), the heartbeat shorter. */
export function readLeaseTiming(env: EnvReader): LeaseTiming {
  const leaseTtlSeconds = env.int('LTS_LEASE_TTL_SECONDS', { default: 600, min: 1, max: 30 * 24 * 3600 });
  const heartbeatSeconds = env.int('LTS_HEARTBEAT_SECONDS', { default: 180, min: 1, max: 30 * 24 * 3600 });
  return { leaseTtlSeconds, heartbeatSeconds };
}

export function checkLeaseTiming(timing: LeaseTiming): void {
  if (timing.heartbeatSeconds >= timing.leaseTtlSeconds) {
    throw new ConfigError([
      `LTS_HEARTBEAT_SECONDS (${timing.heartbeatSeconds}) must be shorter than LTS_LEASE_TTL_SECONDS ` +
        `(${timing.leaseTtlSeconds}), or leases expire between heartbeats`,
    ]);
  }
}

/** LTS_RATE_LIMIT_PER_MINUTE: lease API requests per client address per minute (default 1200). */
export function readRateLimit(env: EnvReader): number {
  return env.int('LTS_RATE_LIMIT_PER_MINUTE', { default: 1200, min: 1, max: 100_000_000 });
}
