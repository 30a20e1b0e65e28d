import {
  DEFAULT_BACKOFF,
  MIN_HEARTBEAT_MS,
  backoffDelayMs,
  heartbeatDelayMs,
  localDeadlineMs,
  retryDelayMs,
} from './timing';

describe('backoffDelayMs', () => {
  it('doubles from the initial step up to the cap, each wait in the upper half of its step', () => {
    const steps = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    steps.forEach((step, attempt) => {
      expect(backoffDelayMs(attempt, DEFAULT_BACKOFF, 0)).toBe(step / 2);
      expect(backoffDelayMs(attempt, DEFAULT_BACKOFF, 0.999999)).toBe(step);
      expect(backoffDelayMs(attempt, DEFAULT_BACKOFF, 0.5)).toBe((step * 3) / 4);
    });
  });

  it('spreads clients that failed together over the step', () => {
    const waits = [0, 0.25, 0.5, 0.75].map((random) => backoffDelayMs(3, DEFAULT_BACKOFF, random));
    expect(new Set(waits).size).toBe(4);
    expect(waits).toEqual([4_000, 5_000, 6_000, 7_000]);
  });

  it('stays capped and finite however many attempts failed', () => {
    expect(backoffDelayMs(10_000, { initialMs: 200, maxMs: 5_000 }, 0.999999)).toBe(5_000);
    expect(backoffDelayMs(10_000, { initialMs: 200, maxMs: 5_000 }, 0)).toBe(2_500);
  });
});

describe('retryDelayMs', () => {
  it('waits at least as long as retry-after asks', () => {
    expect(retryDelayMs(0, DEFAULT_BACKOFF, 0, 7)).toBe(7_000);
  });

  it('keeps the backoff when retry-after is shorter or absent', () => {
    expect(retryDelayMs(4, DEFAULT_BACKOFF, 0, 1)).toBe(8_000);
    expect(retryDelayMs(4, DEFAULT_BACKOFF, 0, undefined)).toBe(8_000);
  });
});

describe('heartbeatDelayMs', () => {
  const now = 1_000_000;

  it('beats on the interval the server gave when the lease lasts well beyond it', () => {
    expect(heartbeatDelayMs(180, now + 600_000, now)).toBe(180_000);
  });

  it('beats halfway to the end when the lease ends sooner than the interval (term end, skew)', () => {
    expect(heartbeatDelayMs(180, now + 100_000, now)).toBe(50_000);
  });

  it('never beats more often than once a second, even at or past the end', () => {
    expect(heartbeatDelayMs(180, now + 500, now)).toBe(MIN_HEARTBEAT_MS);
    expect(heartbeatDelayMs(180, now - 5_000, now)).toBe(MIN_HEARTBEAT_MS);
  });
});

describe('localDeadlineMs', () => {
  const serverNow = Date.parse('2026-12-01T10:00:00.000Z');
  const expiresAt = serverNow + 600_000;

  it('takes the server expiresAt as is without a Date header', () => {
    expect(localDeadlineMs(expiresAt, undefined, 123)).toBe(expiresAt);
    expect(localDeadlineMs(expiresAt, NaN, 123)).toBe(expiresAt);
  });

  it('counts the remaining time from the send, on the local clock, a second short', () => {
    const clientAhead = serverNow + 5 * 60_000; // the client's clock runs 5 minutes fast
    expect(localDeadlineMs(expiresAt, serverNow, clientAhead)).toBe(clientAhead + 600_000 - 1_000);
    const clientBehind = serverNow - 3_600_000;
    expect(localDeadlineMs(expiresAt, serverNow, clientBehind)).toBe(clientBehind + 599_000);
  });
});
