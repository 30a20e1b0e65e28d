import type { RateDecision, RateLimiter } from '../leases/rate-limit';

const WINDOW_MS = 60_000;

/**
 * Requests per client address per minute, counted in this process: a self-hosted server is one
 * process, so its memory is the shared state. Fixed one-minute windows per address; addresses
 * whose window has passed are dropped as the map grows, so it stays small.
 */
export class InProcessRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { startsAt: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly maxAddresses = 100_000,
  ) {}

  take(address: string, now: Date): RateDecision {
    const at = now.getTime();
    let window = this.windows.get(address);
    if (!window || at - window.startsAt >= WINDOW_MS) {
      if (!window && this.windows.size >= this.maxAddresses) this.forgetPast(at);
      window = { startsAt: at, count: 0 };
      this.windows.set(address, window);
    }
    if (window.count >= this.perMinute) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((window.startsAt + WINDOW_MS - at) / 1000)),
      };
    }
    window.count++;
    return { allowed: true };
  }

  private forgetPast(at: number): void {
    for (const [address, window] of this.windows) {
      if (at - window.startsAt >= WINDOW_MS) this.windows.delete(address);
    }
  }
}
