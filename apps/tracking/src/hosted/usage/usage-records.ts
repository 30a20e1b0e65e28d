import type { UsageAction, UsageRecordedV1 } from '@otl/contracts';
import type { NewEvent, Statement } from '@otl/event-store';
import { currentCorrelationId } from '@otl/platform';

/** One entitlement of a product as license_products keeps it. */
export interface Grant {
  seats: number;
  expiresAt: string | null;
}

/** Seats the grants give at `now` (those whose term has not ended); none once the licence is revoked. */
export function seatsAt(grants: readonly Grant[], now: Date, revoked = false): number {
  if (revoked) return 0;
  return grants
    .filter((grant) => grant.expiresAt === null || Date.parse(grant.expiresAt) > now.getTime())
    .reduce((sum, grant) => sum + grant.seats, 0);
}

export interface PairFacts {
  licenseId: string;
  accountId: string;
  product: string;
}

/** A usage.recorded.v1 to append; its subject (the Kafka key) is the licence. */
export function usageEvent(
  pair: PairFacts,
  action: UsageAction,
  seats: { inUse: number; total: number },
  at: Date,
): NewEvent {
  const data: UsageRecordedV1 = {
    licenseId: pair.licenseId,
    accountId: pair.accountId,
    product: pair.product,
    action,
    seatsInUse: seats.inUse,
    seatsTotal: seats.total,
    at: at.toISOString(),
  };
  return {
    type: 'usage.recorded.v1',
    data,
    metadata: { subject: pair.licenseId, correlationId: currentCorrelationId() },
  };
}

export function hourOf(now: Date): Date {
  const hour = new Date(now);
  hour.setUTCMinutes(0, 0, 0);
  return hour;
}

/** What one action did to a product's hour: seats before and after, and whether it was a refusal. */
export interface HourlyChange {
  licenseId: string;
  product: string;
  at: Date;
  seatsBefore: number;
  seatsAfter: number;
  denied: number;
}

interface HourlyRow {
  license_id: string;
  product: string;
  hour: string;
  peak: number;
  denied: number;
  last: number;
}

/**
 * The upsert of the hourly rows: peak = the greatest level seen, denied adds up every refusal
 * (coalesced or not), last = the level after the latest action. Changes of one row are merged
 * first (one INSERT may touch a row only once); their order is the order of the actions.
 */
export function hourlyUpsert(changes: readonly HourlyChange[]): Statement | null {
  const rows = new Map<string, HourlyRow>();
  for (const change of changes) {
    const hour = hourOf(change.at).toISOString();
    const key = `${change.licenseId}|${change.product}|${hour}`;
    const peak = Math.max(change.seatsBefore, change.seatsAfter);
    const row = rows.get(key);
    if (row) {
      row.peak = Math.max(row.peak, peak);
      row.denied += change.denied;
      row.last = change.seatsAfter;
    } else {
      rows.set(key, {
        license_id: change.licenseId,
        product: change.product,
        hour,
        peak,
        denied: change.denied,
        last: change.seatsAfter,
      });
    }
  }
  if (rows.size === 0) return null;
  return {
    text: `INSERT INTO usage_hours (license_id, product, hour, peak_seats_in_use, denied, last_seats_in_use)
      SELECT r.license_id, r.product, r.hour, r.peak, r.denied, r.last
      FROM jsonb_to_recordset($1::jsonb)
        AS r(license_id uuid, product text, hour timestamptz, peak integer, denied integer, last integer)
      ORDER BY r.license_id, r.product, r.hour
      ON CONFLICT (license_id, product, hour) DO UPDATE SET
        peak_seats_in_use = greatest(usage_hours.peak_seats_in_use, EXCLUDED.peak_seats_in_use),
        denied = usage_hours.denied + EXCLUDED.denied,
        last_seats_in_use = EXCLUDED.last_seats_in_use`,
    params: [JSON.stringify([...rows.values()])],
  };
}
