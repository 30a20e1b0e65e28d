import type { TrackingMode } from '@otl/contracts';
import type { Pool } from 'pg';
import { hourOf, seatsAt, type Grant } from './usage-records';

const HOUR_MS = 3_600_000;
export const HISTORY_HOURS = 30 * 24;

export interface HourlyPoint {
  hour: string;
  peakSeatsInUse: number;
  denied: number;
}

export interface LicenseUsage {
  licenseId: string;
  trackingMode: TrackingMode | null;
  products:
    | { product: string; unit: string; seatsTotal: number; seatsInUse: number; history: HourlyPoint[] }[]
    | null;
}

export interface StoredHour {
  hour: Date;
  peak: number;
  denied: number;
  last: number;
}

/**
 * One point per hour from `from` to `to` (both hour starts): an hour without a row held the level
 * the previous one ended on (`before`: the last row ahead of the window, if any), with no denials.
 */
export function denseHistory(
  rows: readonly StoredHour[],
  before: StoredHour | undefined,
  from: Date,
  to: Date,
) {
  const byHour = new Map(rows.map((row) => [row.hour.getTime(), row]));
  const points: HourlyPoint[] = [];
  let level = before?.last ?? 0;
  for (let hour = from.getTime(); hour <= to.getTime(); hour += HOUR_MS) {
    const row = byHour.get(hour);
    points.push({
      hour: new Date(hour).toISOString(),
      peakSeatsInUse: row ? row.peak : level,
      denied: row ? row.denied : 0,
    });
    if (row) level = row.last;
  }
  return points;
}

/** The portal's view of one licence's usage, for its owner only. */
export class UsageHistory {
  constructor(private readonly pool: Pool) {}

  /** null when the licence is unknown or not the account's (the caller answers 404 either way). */
  async of(licenseId: string, accountId: string, now: Date): Promise<LicenseUsage | null> {
    const { rows } = await this.pool.query<{
      status: string;
      tracking_mode: TrackingMode | null;
      activated_at: Date | null;
    }>(
      'SELECT status, tracking_mode, activated_at FROM tracked_licenses WHERE license_id = $1 AND account_id = $2',
      [licenseId, accountId],
    );
    const license = rows[0];
    if (!license) return null;
    if (license.tracking_mode === 'self-hosted')
      return { licenseId, trackingMode: 'self-hosted', products: null };
    if (license.tracking_mode === null || license.activated_at === null) {
      return { licenseId, trackingMode: null, products: [] };
    }
    const to = hourOf(now);
    const earliest = new Date(to.getTime() - (HISTORY_HOURS - 1) * HOUR_MS);
    const activated = hourOf(license.activated_at);
    const from = activated > earliest ? activated : earliest;
    const at = now.toISOString();
    const [products, hours, before] = await Promise.all([
      this.pool.query<{ product: string; unit: string; entitlements: Grant[]; live: number }>(
        `SELECT p.product, p.unit, p.entitlements,
           (SELECT count(*)::int FROM leases x WHERE x.license_id = p.license_id AND x.product = p.product
              AND x.status = 'active' AND x.expires_at > $2::timestamptz) AS live
         FROM license_products p WHERE p.license_id = $1 ORDER BY p.product`,
        [licenseId, at],
      ),
      this.pool.query<StoredHour & { product: string }>(
        `SELECT product, hour, peak_seats_in_use AS peak, denied, last_seats_in_use AS last FROM usage_hours
         WHERE license_id = $1 AND hour >= $2 ORDER BY hour`,
        [licenseId, from.toISOString()],
      ),
      this.pool.query<StoredHour & { product: string }>(
        `SELECT DISTINCT ON (product) product, hour, peak_seats_in_use AS peak, denied, last_seats_in_use AS last
         FROM usage_hours WHERE license_id = $1 AND hour < $2 ORDER BY product, hour DESC`,
        [licenseId, from.toISOString()],
      ),
    ]);
    return {
      licenseId,
      trackingMode: 'vendor-hosted',
      products: products.rows.map((product) => ({
        product: product.product,
        unit: product.unit,
        seatsTotal: seatsAt(product.entitlements, now, license.status === 'revoked'),
        seatsInUse: product.live,
        history: denseHistory(
          hours.rows.filter((row) => row.product === product.product),
          before.rows.find((row) => row.product === product.product),
          from,
          to,
        ),
      })),
    };
  }
}
