import { advisoryKey, errorFields, type EventStore, type Logger, type PoolClient } from '@otl/event-store';
import type { Clock } from '@otl/platform';
import type { Pool } from 'pg';
import type { LeaseMetrics } from '../metrics';
import { streams } from '../streams';
import { hourOf, hourlyUpsert, seatsAt, usageEvent, type Grant } from '../usage/usage-records';

/** Licence-products whose expired leases one sweep transaction ends (all of each product's). */
const PAIRS_PER_BATCH = 500;
const HISTORY_DAYS = 30;
/** Ended leases are kept this long, so a late heartbeat is told 410 rather than 404. */
const ENDED_LEASE_DAYS = 30;

export interface SweepResult {
  expired: number;
}

/**
 * Ends expired leases (lease.expired, once each), records the level of every product with live
 * leases into its hour once an hour (so long-lived leases show in the history), and deletes history
 * past 30 days, old denial marks and old rate-limit windows. Active on one instance at a time: the
 * one whose dedicated session holds the sweeper's advisory lock. Correctness does not depend on
 * that: a lease ends once because its row goes from active exactly once, under its product's lock.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private leader: PoolClient | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private snapshotHour = 0;
  private lastCleanup = 0;

  constructor(
    private readonly options: {
      store: EventStore;
      pool: Pool;
      now: Clock;
      logger: Logger;
      intervalSeconds: number;
      metrics?: LeaseMetrics;
    },
  ) {}

  get isActive(): boolean {
    return this.leader !== undefined;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => (this.running = undefined));
    }, this.options.intervalSeconds * 1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    this.leader?.release(true);
    this.leader = undefined;
  }

  private async tick(): Promise<void> {
    const { logger } = this.options;
    try {
      if (!(await this.lead()) || this.stopped) return;
      await this.sweep(this.options.now());
    } catch (error) {
      logger.warn({ ...errorFields(error) }, 'lease sweep failed; retrying at the next interval');
    }
  }

  /** Whether this instance is the active sweeper (taking the lock if nobody holds it). */
  private async lead(): Promise<boolean> {
    if (this.leader) {
      try {
        await this.leader.query('SELECT 1');
        return true;
      } catch {
        this.leader.release(true);
        this.leader = undefined;
      }
    }
    const client = await this.options.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1::bigint) AS locked',
        [advisoryKey('tracking:sweeper').toString()],
      );
      if (!rows[0]?.locked) {
        client.release();
        return false;
      }
    } catch (error) {
      client.release(true);
      throw error;
    }
    client.on('error', () => undefined); // the next tick finds the session gone and lets go of it
    this.leader = client;
    this.options.logger.info({}, 'lease sweeper active');
    return true;
  }

  /** One sweep at `now` (exported for the specs and the benchmark; safe on any instance). */
  async sweep(now: Date): Promise<SweepResult> {
    let expired = 0;
    for (;;) {
      const ended = await this.expireBatch(now);
      expired += ended;
      if (ended === 0) break;
    }
    this.options.metrics?.expired.inc(expired);
    const hour = hourOf(now).getTime();
    if (hour !== this.snapshotHour) {
      await this.recordLevels(now);
      this.snapshotHour = hour;
    }
    if (now.getTime() - this.lastCleanup >= 60_000) {
      await this.cleanUp(now);
      this.lastCleanup = now.getTime();
    }
    return { expired };
  }

  /**
   * Ends the expired leases of up to PAIRS_PER_BATCH licence-products in one transaction: their
   * rows are locked with SKIP LOCKED (an acquisition holding one ends its stale leases itself).
   */
  private async expireBatch(now: Date): Promise<number> {
    const at = now.toISOString();
    const stream = streams.usage();
    return this.options.store.transaction(
      {
        lockStreams: [stream],
        alsoRead: [
          {
            // One statement: the leases it ends are exactly those the facts below are about (the
            // live count reads the snapshot from before the UPDATE, which the ended rows never match).
            text: `WITH due AS (
                SELECT DISTINCT license_id, product FROM leases
                WHERE status = 'active' AND expires_at <= $1::timestamptz LIMIT ${PAIRS_PER_BATCH}
              ), locked AS (
                SELECT p.license_id, p.product FROM license_products p JOIN due USING (license_id, product)
                FOR UPDATE OF p SKIP LOCKED
              ), ended AS (
                UPDATE leases l SET status = 'expired', ended_at = $1::timestamptz FROM locked k
                WHERE l.license_id = k.license_id AND l.product = k.product
                  AND l.status = 'active' AND l.expires_at <= $1::timestamptz
                RETURNING l.license_id, l.product
              ), pairs AS (
                SELECT license_id, product, count(*)::int AS ended FROM ended GROUP BY license_id, product
              )
              SELECT p.license_id, p.product, s.ended, t.account_id, t.status, p.entitlements,
                (SELECT count(*)::int FROM leases x WHERE x.license_id = p.license_id AND x.product = p.product
                   AND x.status = 'active' AND x.expires_at > $1::timestamptz) AS live
              FROM pairs s JOIN license_products p USING (license_id, product)
                JOIN tracked_licenses t USING (license_id)`,
            params: [at],
          },
        ],
      },
      async (tx) => {
        const [products = []] = tx.alsoRead as [
          {
            license_id: string;
            product: string;
            ended: number;
            account_id: string;
            status: string;
            entitlements: Grant[];
            live: number;
          }[],
        ];
        if (products.length === 0) return 0;
        const events = products.flatMap((row) => {
          const pair = { licenseId: row.license_id, accountId: row.account_id, product: row.product };
          const total = seatsAt(row.entitlements, now, row.status === 'revoked');
          return Array.from({ length: row.ended }, () =>
            usageEvent(pair, 'lease.expired', { inUse: row.live, total }, now),
          );
        });
        const hourly = products.map((row) => ({
          licenseId: row.license_id,
          product: row.product,
          at: now,
          seatsBefore: row.live,
          seatsAfter: row.live,
          denied: 0,
        }));
        await tx.commitWith([tx.appendStatement(stream, 0, events), hourlyUpsert(hourly)]);
        return events.length;
      },
    );
  }

  /**
   * The hour's row of every product with live leases, where no action wrote one yet (an action's
   * row is newer than this count, so it is never overwritten).
   */
  private async recordLevels(now: Date): Promise<void> {
    const at = now.toISOString();
    await this.options.pool.query(
      `INSERT INTO usage_hours (license_id, product, hour, peak_seats_in_use, denied, last_seats_in_use)
       SELECT license_id, product, date_trunc('hour', $1::timestamptz, 'UTC'),
              count(*), 0, count(*)
       FROM leases WHERE status = 'active' AND expires_at > $1::timestamptz
       GROUP BY license_id, product
       ORDER BY license_id, product
       ON CONFLICT (license_id, product, hour) DO NOTHING`,
      [at],
    );
  }

  private async cleanUp(now: Date): Promise<void> {
    const at = now.toISOString();
    const { pool } = this.options;
    // One extra hour of history: the level before the window's first hour fills it.
    await pool.query(
      `DELETE FROM usage_hours WHERE hour < $1::timestamptz - interval '${HISTORY_DAYS} days 1 hour'`,
      [at],
    );
    await pool.query(`DELETE FROM denial_marks WHERE last_at <= $1::timestamptz - interval '1 minute'`, [at]);
    await pool.query(
      `DELETE FROM rate_limit_windows WHERE window_start < $1::timestamptz - interval '2 minutes'`,
      [at],
    );
    await pool.query(
      `DELETE FROM leases WHERE status <> 'active' AND ended_at < $1::timestamptz - interval '${ENDED_LEASE_DAYS} days'`,
      [at],
    );
  }
}
