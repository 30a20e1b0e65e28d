import type { Sql } from '@otl/event-store';

/** At most `limit` hits per `windowSeconds` in one bucket. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export interface Bucket {
  key: string;
  rule: RateLimit;
}

/** Parses `10/60` (10 per 60 seconds). */
export function parseRateLimit(text: string): RateLimit | undefined {
  const match = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  if (!match) return undefined;
  const limit = Number(match[1]);
  const windowSeconds = Number(match[2]);
  return limit > 0 && windowSeconds > 0 ? { limit, windowSeconds } : undefined;
}

/**
 * Fixed-window counters in Postgres, so every instance of the service shares them.
 * `blocked` only reads; `hit` counts one more. Callers decide what counts (a failed sign-in,
 * any reset request), so a refused attempt does not extend its own lock-out.
 */
export class RateLimiter {
  constructor(private readonly sql: Sql) {}

  /** Seconds until the first full bucket has room again, or 0 when none is full. */
  async blocked(buckets: readonly Bucket[]): Promise<number> {
    if (buckets.length === 0) return 0;
    const { rows } = await this.sql.query<{ retry: number }>(
      `SELECT coalesce(max(ceil(extract(epoch FROM
                window_started_at + make_interval(secs => window_seconds) - now()))), 0)::int AS retry
         FROM account_rate_limits r
         JOIN unnest($1::text[], $2::int[]) AS b(bucket, lim) ON b.bucket = r.bucket
        WHERE r.hits >= b.lim AND r.window_started_at > now() - make_interval(secs => r.window_seconds)`,
      [buckets.map((b) => b.key), buckets.map((b) => b.rule.limit)],
    );
    return Math.max(0, rows[0]?.retry ?? 0);
  }

  /** Counts one hit in each bucket (a new window starts once the old one is over). */
  async hit(buckets: readonly Bucket[]): Promise<void> {
    if (buckets.length === 0) return;
    const expired = 'r.window_started_at <= now() - make_interval(secs => r.window_seconds)';
    await this.sql.query(
      `INSERT INTO account_rate_limits AS r (bucket, window_seconds, window_started_at, hits)
       SELECT b.bucket, b.win, now(), 1 FROM unnest($1::text[], $2::int[]) AS b(bucket, win)
       ON CONFLICT (bucket) DO UPDATE SET
         window_seconds = EXCLUDED.window_seconds,
         hits = CASE WHEN ${expired} THEN 1 ELSE r.hits + 1 END,
         window_started_at = CASE WHEN ${expired} THEN now() ELSE r.window_started_at END`,
      [buckets.map((b) => b.key), buckets.map((b) => b.rule.windowSeconds)],
    );
  }

  /** Drops counters whose window ended long ago. */
  async prune(olderThanSeconds = 86_400): Promise<number> {
    const { rowCount } = await this.sql.query(
      `DELETE FROM account_rate_limits WHERE window_started_at < now() - make_interval(secs => $1)`,
      [olderThanSeconds],
    );
    return rowCount ?? 0;
  }
}
