import type { LicenseActivatedV1, LicenseGeneratedV1, LicenseRevokedV1 } from '@otl/contracts';
import type { EventTransaction, Statement } from '@otl/event-store';
import type { Clock } from '@otl/platform';
import { streams } from '../streams';
import { hourlyUpsert, usageEvent, type HourlyChange } from '../usage/usage-records';

/** One product of an activated licence: what its license_products row holds. */
export function productRows(activated: LicenseActivatedV1) {
  const byProduct = new Map<string, LicenseActivatedV1['entitlements']>();
  for (const entitlement of activated.entitlements) {
    byProduct.set(entitlement.product, [...(byProduct.get(entitlement.product) ?? []), entitlement]);
  }
  return [...byProduct].map(([product, entitlements]) => {
    const ends = entitlements.map((entitlement) => entitlement.expiresAt);
    return {
      license_id: activated.licenseId,
      product,
      unit: entitlements[0]?.unit ?? '', // every list here has one at least
      seats_total: entitlements.reduce((sum, entitlement) => sum + entitlement.seats, 0),
      term_ends_at: ends.includes(null)
        ? null
        : new Date(Math.max(...ends.map((end) => Date.parse(end ?? '')))).toISOString(),
      entitlements: entitlements.map(({ seats, expiresAt }) => ({ seats, expiresAt })),
    };
  });
}

/**
 * What licenses.v1 does to the tracking tables, inside the inbox transaction of each record (the
 * licence's stream is locked, so one licence's records apply one at a time, in order).
 */
export class TrackedLicenses {
  constructor(private readonly now: Clock) {}

  static locks(data: { licenseId: string }): string[] {
    return [streams.license(data.licenseId)];
  }

  /** The key's hash makes the licence reachable; a later activation or revocation keeps its status. */
  onGenerated(generated: LicenseGeneratedV1): Statement[] {
    return [
      {
        text: `INSERT INTO tracked_licenses (license_id, license_key_hash, account_id, status)
          VALUES ($1, $2, $3, 'generated')
          ON CONFLICT (license_id) DO UPDATE SET license_key_hash = EXCLUDED.license_key_hash`,
        params: [generated.licenseId, generated.licenseKeyHash, generated.accountId],
      },
    ];
  }

  /** Entitlements and mode as activated; a vendor-hosted licence gets a row per product to lease from. */
  onActivated(activated: LicenseActivatedV1): Statement[] {
    const products = activated.trackingMode === 'vendor-hosted' ? productRows(activated) : [];
    return [
      {
        text: `INSERT INTO tracked_licenses AS t (license_id, account_id, status, tracking_mode, lts_instance_id,
            entitlements, activated_at)
          VALUES ($1, $2, 'activated', $3, $4, $5::jsonb, $6)
          ON CONFLICT (license_id) DO UPDATE SET
            status = CASE WHEN t.status = 'revoked' THEN 'revoked' ELSE 'activated' END,
            tracking_mode = EXCLUDED.tracking_mode, lts_instance_id = EXCLUDED.lts_instance_id,
            entitlements = EXCLUDED.entitlements, activated_at = EXCLUDED.activated_at`,
        params: [
          activated.licenseId,
          activated.accountId,
          activated.trackingMode,
          activated.ltsInstanceId,
          JSON.stringify(activated.entitlements),
          activated.activatedAt,
        ],
      },
      ...(products.length === 0
        ? []
        : [
            {
              text: `INSERT INTO license_products (license_id, product, unit, seats_total, term_ends_at, entitlements)
                SELECT r.license_id, r.product, r.unit, r.seats_total, r.term_ends_at, r.entitlements
                FROM jsonb_to_recordset($1::jsonb) AS r(license_id uuid, product text, unit text,
                  seats_total integer, term_ends_at timestamptz, entitlements jsonb)
                ORDER BY r.product
                ON CONFLICT (license_id, product) DO UPDATE SET unit = EXCLUDED.unit,
                  seats_total = EXCLUDED.seats_total, term_ends_at = EXCLUDED.term_ends_at,
                  entitlements = EXCLUDED.entitlements`,
              params: [JSON.stringify(products)],
            },
          ]),
    ];
  }

  /**
   * Revocation ends every live lease of the licence at once (status revoked), reported as
   * lease.released with the seats left after each; a lease already past its expiresAt is ended
   * as expired instead, as it held no seat any more.
   */
  async onRevoked(tx: EventTransaction, revoked: LicenseRevokedV1): Promise<(Statement | null)[]> {
    const now = this.now();
    const at = now.toISOString();
    await tx.query(
      `INSERT INTO tracked_licenses (license_id, account_id, status, revoked_at) VALUES ($1, $2, 'revoked', $3)
       ON CONFLICT (license_id) DO UPDATE SET status = 'revoked', revoked_at = EXCLUDED.revoked_at`,
      [revoked.licenseId, revoked.accountId, revoked.revokedAt],
    );
    // The products' row locks: acquisitions in flight finish first and their leases are ended too.
    await tx.query('SELECT 1 FROM license_products WHERE license_id = $1 ORDER BY product FOR UPDATE', [
      revoked.licenseId,
    ]);
    const { rows } = await tx.query<{ product: string; status: 'revoked' | 'expired' }>(
      `UPDATE leases SET status = CASE WHEN expires_at > $2::timestamptz THEN 'revoked' ELSE 'expired' END,
         ended_at = $2::timestamptz
       WHERE license_id = $1 AND status = 'active'
       RETURNING product, status`,
      [revoked.licenseId, at],
    );
    if (rows.length === 0) return [];
    const held = new Map<string, number>();
    for (const row of rows) {
      if (row.status === 'revoked') held.set(row.product, (held.get(row.product) ?? 0) + 1);
    }
    const events = [];
    const hourly: HourlyChange[] = [];
    const left = new Map(held);
    for (const row of rows) {
      const pair = { licenseId: revoked.licenseId, accountId: revoked.accountId, product: row.product };
      if (row.status === 'revoked') left.set(row.product, (left.get(row.product) ?? 1) - 1);
      const inUse = left.get(row.product) ?? 0;
      events.push(
        usageEvent(
          pair,
          row.status === 'revoked' ? 'lease.released' : 'lease.expired',
          { inUse, total: 0 },
          now,
        ),
      );
    }
    for (const product of new Set(rows.map((row) => row.product))) {
      const before = held.get(product) ?? 0;
      hourly.push({
        licenseId: revoked.licenseId,
        product,
        at: now,
        seatsBefore: before,
        seatsAfter: 0,
        denied: 0,
      });
    }
    const stream = streams.license(revoked.licenseId);
    const { version } = await tx.readStream(stream);
    return [tx.appendStatement(stream, version, events), hourlyUpsert(hourly)];
  }
}
