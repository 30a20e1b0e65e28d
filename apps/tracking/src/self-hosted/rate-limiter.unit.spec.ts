import { InProcessRateLimiter } from './rate-limiter';

describe('InProcessRateLimiter', () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 11, 1) + ms);

  it('allows the limit per address per minute, then says when to retry', () => {
    const limiter = new InProcessRateLimiter(3);
    expect([0, 1, 2].map((ms) => limiter.take('10.0.0.1', at(ms)).allowed)).toEqual([true, true, true]);
    expect(limiter.take('10.0.0.1', at(20_000))).toEqual({ allowed: false, retryAfterSeconds: 40 });
    expect(limiter.take('10.0.0.2', at(20_000)).allowed).toBe(true);
    expect(limiter.take('10.0.0.1', at(60_000)).allowed).toBe(true);
  });

  it('forgets addresses whose window passed once it holds too many', () => {
    const limiter = new InProcessRateLimiter(1, 2);
    limiter.take('a', at(0));
    limiter.take('b', at(0));
    expect(limiter.take('c', at(61_000)).allowed).toBe(true);
    expect(limiter.take('c', at(61_001)).allowed).toBe(false);
    // 'a' was forgotten: a fresh window, not its old exhausted one.
    expect(limiter.take('a', at(61_002)).allowed).toBe(true);
  });
});
