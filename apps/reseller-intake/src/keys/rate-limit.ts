import type { RateLimitRule } from '../config';

/**
 * Per-key rate limits by the generic cell rate algorithm (GCRA): each key has a "theoretical
 * arrival time" (TAT); every request moves it one emission interval (window / requests) ahead, and a
 * request is refused while the TAT is more than (window − interval) ahead of now. That allows a
 * burst of `requests` and then a steady `requests` per window, with no fixed-window edge. The TAT is
 * one row per key in Postgres, updated in one statement, so every instance shares it.
 */
export interface RateDecision {
  allowed: boolean;
  /** Requests still allowed right now. */
  remaining: number;
  /** Seconds until the whole quota is available again. */
  resetSeconds: number;
  /** When refused: seconds until one request is allowed again. */
  retryAfterSeconds: number;
}

export const POLICY_NAME = 'per-key';

export const emissionIntervalMs = (rule: RateLimitRule) => (rule.windowSeconds * 1000) / rule.requests;

/** What the TAT after the update means for this request. */
export function rateDecision(
  rule: RateLimitRule,
  allowed: boolean,
  tatMs: number,
  nowMs: number,
): RateDecision {
  const interval = emissionIntervalMs(rule);
  const windowMs = rule.windowSeconds * 1000;
  const ahead = Math.max(0, tatMs - nowMs);
  const remaining = allowed
    ? Math.max(0, Math.min(rule.requests, Math.floor((windowMs - ahead) / interval)))
    : 0;
  const retryAfterMs = allowed ? 0 : Math.max(0, ahead - (windowMs - interval));
  return {
    allowed,
    remaining,
    resetSeconds: Math.ceil(ahead / 1000),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(retryAfterMs / 1000)),
  };
}

/**
 * The headers of the IETF draft "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers):
 * `RateLimit-Policy: "per-key";q=100;w=1` and `RateLimit: "per-key";r=42;t=1`, plus `retry-after` on 429.
 */
export function rateLimitHeaders(rule: RateLimitRule, decision: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'ratelimit-policy': `"${POLICY_NAME}";q=${rule.requests};w=${rule.windowSeconds}`,
    ratelimit: `"${POLICY_NAME}";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
  if (!decision.allowed) headers['retry-after'] = String(decision.retryAfterSeconds);
  return headers;
}
