import { errorFields, type Logger } from '@otl/event-store';
import type { Pool } from 'pg';
import type { RateDecision, RateLimiter } from '../../leases/rate-limit';

const WINDOW_MS = 60_000;

interface Count {
  /** The total over every instance as of this instance's last flush. */
  shared: number;
  /** Requests allowed here since then, not yet added to the shared counter. */
  pending: number;
  /** Requests being added by the flush in flight. */
  flushing: number;
}

/**
 * Lease API requests per client address and minute, shared by every instance through Postgres at
 * the cost of one statement per flush interval, whatever the request rate: each instance counts
 * locally and adds its counts to `rate_limit_windows` every flush, learning the totals in the same
 * statement. A request is allowed while the last known total plus the local unflushed count is
 * under the limit, so the limit holds across instances to within one flush interval's requests.
 * Addresses past half their limit have their totals refreshed at every flush.
 */
export class SharedRateLimiter implements RateLimiter {
  private readonly windows = new Map<number, Map<string, Count>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly options: {
      pool: Pool;
      limitPerMinute: number;
      flushMs: number;
      logger: Logger;
    },
  ) {}

  take(address: string, now: Date): RateDecision {
    const start = Math.floor(now.getTime() / WINDOW_MS) * WINDOW_MS;
    let window = this.windows.get(start);
    if (!window) {
      window = new Map();
      this.windows.set(start, window);
    }
    let count = window.get(address);
    if (!count) {
      count = { shared: 0, pending: 0, flushing: 0 };
      window.set(address, count);
    }
    if (count.shared + count.pending + count.flushing >= this.options.limitPerMinute) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((start + WINDOW_MS - now.getTime()) / 1000)),
      };
    }
    count.pending++;
    return { allowed: true };
  }

  start(): void {
    this.timer = setInterval(() => {
      this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
    }, this.options.flushMs);
  }

  /** Stops flushing; the counts not yet flushed are added first. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  /** Adds the local counts to the shared ones and takes back the totals (one statement). */
  async flush(now: Date = new Date()): Promise<void> {
    const current = Math.floor(now.getTime() / WINDOW_MS) * WINDOW_MS;
    // Only this window and the one before matter; older ones are dropped.
    for (const start of this.windows.keys()) if (start < current - WINDOW_MS) this.windows.delete(start);
    const rows: { address: string; window_start: string; requests: number }[] = [];
    const sent: Count[] = [];
    // An address past half its limit is asked for its total at every flush, even with nothing to
    // add, so its requests through other instances count here too before it makes another.
    const watched = this.options.limitPerMinute / 2;
    for (const [start, window] of this.windows) {
      const windowStart = new Date(start).toISOString();
      for (const [address, count] of window) {
        if (count.pending === 0 && (start !== current || count.shared < watched)) continue;
        count.flushing = count.pending;
        count.pending = 0;
        rows.push({ address, window_start: windowStart, requests: count.flushing });
        sent.push(count);
      }
    }
    if (rows.length === 0) return;
    try {
      // Sorted, so two instances flushing the same addresses take the row locks in one order.
      const { rows: totals } = await this.options.pool.query<{
        address: string;
        window_start: Date;
        requests: string;
      }>(
        `INSERT INTO rate_limit_windows AS w (address, window_start, requests)
         SELECT r.address, r.window_start, r.requests
         FROM jsonb_to_recordset($1::jsonb) AS r(address text, window_start timestamptz, requests bigint)
         ORDER BY r.address, r.window_start
         ON CONFLICT (address, window_start) DO UPDATE SET requests = w.requests + EXCLUDED.requests
         RETURNING address, window_start, requests::text`,
        [JSON.stringify(rows)],
      );
      for (const total of totals) {
        const count = this.windows.get(total.window_start.getTime())?.get(total.address);
        if (count) {
          count.shared = Number(total.requests);
          count.flushing = 0;
        }
      }
    } catch (error) {
      // Kept for the next flush; meanwhile the local counts still limit this instance.
      for (const count of sent) {
        count.pending += count.flushing;
        count.flushing = 0;
      }
      this.options.logger.warn({ ...errorFields(error) }, 'rate-limit counts not flushed; retrying');
    }
  }
}
