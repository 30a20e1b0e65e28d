import { emissionIntervalMs, rateDecision, rateLimitHeaders } from './rate-limit';

/** The GCRA update the database makes, run here on numbers, to check what the decision says about it. */
function simulate(rule: { requests: number; windowSeconds: number }, arrivalsMs: number[]) {
  const interval = emissionIntervalMs(rule);
  const tolerance = rule.windowSeconds * 1000 - interval;
  let tat = 0;
  return arrivalsMs.map((now) => {
    const start = Math.max(tat, now);
    const allowed = start - now <= tolerance;
    if (allowed) tat = start + interval;
    return rateDecision(rule, allowed, tat, now);
  });
}

describe('per-key rate limit (GCRA)', () => {
  const rule = { requests: 10, windowSeconds: 2 };

  it('allows a burst of the whole quota, counting down, then refuses with retry-after', () => {
    const decisions = simulate(
      rule,
      Array.from({ length: 12 }, () => 1_000),
    );
    expect(decisions.slice(0, 10).map((d) => d.allowed)).toEqual(Array(10).fill(true));
    expect(decisions.slice(0, 10).map((d) => d.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(decisions[10]).toMatchObject({
      allowed: false,
      remaining: 0,
      retryAfterSeconds: 1,
      resetSeconds: 2,
    });
  });

  it('then lets one request through per emission interval, steadily', () => {
    const burst = Array.from({ length: 10 }, () => 0);
    // After the burst: one arrival every 100 ms (half the sustainable rate of one per 200 ms) …
    const steady = Array.from({ length: 20 }, (_v, i) => 100 * (i + 1));
    const decisions = simulate(rule, [...burst, ...steady]).slice(10);
    const allowedCount = decisions.filter((d) => d.allowed).length;
    // … of which one in two is allowed: 2 s of arrivals at 10 per 2 s.
    expect(allowedCount).toBe(10);
  });

  it('recovers the whole quota after one window of silence', () => {
    const decisions = simulate(rule, [...Array(10).fill(0), 2_000]);
    expect(decisions[10]).toMatchObject({ allowed: true, remaining: 9 });
  });

  it('writes the IETF draft headers, and retry-after only when refused', () => {
    const allowed = rateDecision(rule, true, 1_200, 1_000);
    expect(rateLimitHeaders(rule, allowed)).toEqual({
      'ratelimit-policy': '"per-key";q=10;w=2',
      ratelimit: '"per-key";r=9;t=1',
    });
    const refused = rateDecision(rule, false, 3_500, 1_000);
    expect(rateLimitHeaders(rule, refused)).toEqual({
      'ratelimit-policy': '"per-key";q=10;w=2',
      ratelimit: '"per-key";r=0;t=3',
      'retry-after': '1',
    });
  });
});
