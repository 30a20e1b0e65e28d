import { readAccessTokenVerifierConfig, type AccessTokenVerifierConfig } from '@otl/auth';
import { EnvReader, readCommonConfig, type CommonConfig } from '@otl/platform';
import type { LeaseTiming } from '../leases/lease-store';
import { checkLeaseTiming, readLeaseTiming, readRateLimit } from '../leases/timing';
import { DEFAULT_PORT, SERVICE_NAME } from '../mode';

export interface HostedConfig extends CommonConfig {
  timing: LeaseTiming;
  /** Lease API requests per client address per minute, over all instances. */
  rateLimitPerMinute: number;
  /** How often the local request counts are added to the shared counters (ms). */
  rateLimitFlushMs: number;
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
  /** For the portal's usage endpoint: the account service's access tokens. */
  accessTokens: AccessTokenVerifierConfig;
  /** Consumer group (and inbox name) of the licenses.v1 consumer. */
  consumerGroup: string;
  /** How often the active sweeper ends expired leases. */
  sweepSeconds: number;
}

export function loadHostedConfig(source: Record<string, string | undefined> = process.env): HostedConfig {
  const env = new EnvReader(source);
  const common = readCommonConfig(env, SERVICE_NAME, DEFAULT_PORT);
  const timing = readLeaseTiming(env);
  const rateLimitPerMinute = readRateLimit(env);
  const rateLimitFlushMs = env.int('LTS_RATE_LIMIT_FLUSH_MS', { default: 250, min: 10, max: 10_000 });
  const trustProxy = env.oneOf('TRUST_PROXY', ['true', 'false'], 'false') === 'true';
  const accessTokens = readAccessTokenVerifierConfig(env);
  const consumerGroup = env.string('TRACKING_CONSUMER_GROUP', {
    default: 'tracking.licenses',
    pattern: /^[A-Za-z0-9._-]{1,200}$/,
  });
  const sweepSeconds = env.int('LTS_SWEEP_SECONDS', { default: 5, min: 1, max: 3600 });
  env.done();
  checkLeaseTiming(timing);
  return {
    ...common,
    timing,
    rateLimitPerMinute,
    rateLimitFlushMs,
    trustProxy,
    accessTokens,
    consumerGroup,
    sweepSeconds,
  };
}
