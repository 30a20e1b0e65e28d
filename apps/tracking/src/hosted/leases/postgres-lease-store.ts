import { randomUUID } from 'node:crypto';
import type { Entitlement } from '@otl/contracts';
import type { EventStore, EventTransaction, NewEvent, Statement } from '@otl/event-store';
import type { Pool } from 'pg';
import {
  LeaseError,
  leasable,
  leaseExpiry,
  seatEndsAt,
  type TrackedLicense,
} from '../../leases/domain/lease';
import type { Lease, LeaseStore, LeaseTiming, ProductUsage, AcquireRequest } from '../../leases/lease-store';
import type { LeaseMetrics } from '../metrics';
import { streams } from '../streams';
import { hourlyUpsert, seatsAt, usageEvent, type Grant, type HourlyChange } from '../usage/usage-records';

interface LicenseRow {
  license_id: string;
  account_id: string;
  status: TrackedLicense['status'];
  tracking_mode: TrackedLicense['trackingMode'];
  lts_instance_id: string | null;
  entitlements: Entitlement[];
}

interface LeaseRow {
  lease_id: string;
  license_id: string;
  product: string;
  client_id: string;
  acquired_at: Date;
  expires_at: Date;
}

const LEASE_COLUMNS = 'lease_id, license_id, product, client_id, acquired_at, expires_at';

export function toTrackedLicense(row: LicenseRow): TrackedLicense {
  return {
    licenseId: row.license_id,
    accountId: row.account_id,
    status: row.status,
    trackingMode: row.tracking_mode,
    ltsInstanceId: row.lts_instance_id,
    entitlements: row.entitlements,
  };
}

const toLease = (row: LeaseRow): Lease => ({
  leaseId: row.lease_id,
  licenseId: row.license_id,
  product: row.product,
  clientId: row.client_id,
  acquiredAt: row.acquired_at,
  expiresAt: row.expires_at,
});

/** The licence of a presented key, by its hash (a subquery the statements below share). */
const LICENSE_BY_HASH = '(SELECT license_id FROM tracked_licenses WHERE license_key_hash = $1)';

type Acquired = ({ kind: 'lease'; lease: Lease; created: boolean } | { kind: 'denied' }) & {
  /** Stale leases this transaction ended. */
  expired: number;
};

/**
 * The vendor-hosted LeaseStore on Postgres, exact across any number of instances on one database:
 * every seat decision holds the licence-product row's lock (SELECT ... FOR UPDATE), and a lease
 * whose expiresAt has passed is never counted, whether or not the sweeper has ended it yet. Each
 * acquisition, release, expiry and (coalesced) denial appends its usage.recorded.v1 in the same
 * transaction; heartbeats write no event.
 */
export class PostgresLeaseStore implements LeaseStore {
  readonly mode = 'vendor-hosted' as const;

  constructor(
    private readonly store: EventStore,
    private readonly pool: Pool,
    private readonly timing: LeaseTiming,
    private readonly metrics?: LeaseMetrics,
  ) {}

  async acquire(request: AcquireRequest): Promise<{ lease: Lease; created: boolean }> {
    const { licenseKeyHash, clientId, product, now } = request;
    const at = now.toISOString();
    const params = [licenseKeyHash, product ?? null, at, clientId];
    const forProduct = `license_id = ${LICENSE_BY_HASH} AND ($2::text IS NULL OR product = $2::text)`;
    const stream = streams.usage();
    // One round trip: BEGIN, the lock on its product's row, the licence, then (each statement
    // seeing what committed before the lock was granted) the stale leases ended, the live ones
    // counted, the client's own lease and its last reported denial; the decision's writes go with
    // COMMIT in a second one.
    const reads: Statement[] = [
      // The lock first, the licence after it: a revocation takes the same lock, so an acquisition
      // that waited for it reads the licence as revoked rather than a status from before.
      {
        text: `SELECT product FROM license_products WHERE ${forProduct} ORDER BY product FOR UPDATE`,
        params,
      },
      {
        text: `SELECT license_id, account_id, status, tracking_mode, lts_instance_id, entitlements
          FROM tracked_licenses WHERE license_key_hash = $1`,
        params: [licenseKeyHash],
      },
      {
        text: `UPDATE leases SET status = 'expired', ended_at = $3::timestamptz
          WHERE ${forProduct} AND status = 'active' AND expires_at <= $3::timestamptz
          RETURNING lease_id, product`,
        params,
      },
      // Counted in Postgres rather than shipped to Node (a licence may hold thousands of leases);
      // the statement before ended the stale ones, so every active lease left is live.
      {
        text: `SELECT product, count(*)::int AS live FROM leases
          WHERE ${forProduct} AND status = 'active' GROUP BY product`,
        params,
      },
      {
        text: `SELECT ${LEASE_COLUMNS} FROM leases WHERE ${forProduct} AND status = 'active' AND client_id = $4`,
        params,
      },
      {
        text: `SELECT product FROM denial_marks WHERE ${forProduct} AND client_id = $4
          AND last_at > $3::timestamptz - interval '1 minute'`,
        params,
      },
    ];
    const outcome = await this.store.transaction(
      { lockStreams: [stream], alsoRead: reads },
      async (tx): Promise<Acquired> => {
        const [, licenses = [], stale = [], counts = [], owned = [], marks = []] = tx.alsoRead;
        const row = licenses[0] as LicenseRow | undefined;
        // A refusal throws, so the transaction rolls back (stale leases included: the sweeper reports them).
        if (!row) throw new LeaseError('license-unknown', 'No licence has this key.');
        const license = toTrackedLicense(row);
        const grant = leasable(license, product, 'vendor-hosted', now);
        const pair = { licenseId: license.licenseId, accountId: license.accountId, product: grant.product };
        const total = grant.seatsTotal;
        const inUse =
          (counts as { product: string; live: number }[]).find((count) => count.product === grant.product)
            ?.live ?? 0;
        const expired = (stale as { product: string }[]).filter((lease) => lease.product === grant.product);
        // Stale leases held no seat any more: ending them leaves the live count as it is.
        const events: NewEvent[] = expired.map(() =>
          usageEvent(pair, 'lease.expired', { inUse: inUse, total }, now),
        );
        const hourly: HourlyChange[] = expired.length
          ? [{ ...pair, at: now, seatsBefore: inUse, seatsAfter: inUse, denied: 0 }]
          : [];
        const own = (owned as LeaseRow[]).find((lease) => lease.product === grant.product);
        if (own) {
          await this.commit(tx, stream, events, hourly);
          return { kind: 'lease', lease: toLease(own), created: false, expired: expired.length };
        }
        if (inUse < grant.seatsTotal) {
          const termEndsAt = seatEndsAt(license, grant.product, inUse + 1, now);
          const lease: Lease = {
            leaseId: randomUUID(),
            licenseId: license.licenseId,
            product: grant.product,
            clientId,
            acquiredAt: now,
            expiresAt: leaseExpiry(now, this.timing.leaseTtlSeconds, termEndsAt),
          };
          const after = inUse + 1;
          events.push(usageEvent(pair, 'lease.acquired', { inUse: after, total }, now));
          hourly.push({ ...pair, at: now, seatsBefore: inUse, seatsAfter: after, denied: 0 });
          await this.commit(tx, stream, events, hourly, {
            text: `INSERT INTO leases (lease_id, license_id, product, client_id, status, acquired_at, expires_at,
                term_ends_at) VALUES ($1, $2, $3, $4, 'active', $5, $6, $7)`,
            params: [
              lease.leaseId,
              lease.licenseId,
              lease.product,
              clientId,
              at,
              lease.expiresAt.toISOString(),
              termEndsAt?.toISOString() ?? null,
            ],
          });
          return { kind: 'lease', lease, created: true, expired: expired.length };
        }
        // Every refusal counts in the hour; only the first per client and minute is reported. The
        // marks are written only under this product's lock, so the one read with it is current.
        const reported = (marks as { product: string }[]).some((mark) => mark.product === grant.product);
        hourly.push({ ...pair, at: now, seatsBefore: inUse, seatsAfter: inUse, denied: 1 });
        if (!reported) {
          events.push(usageEvent(pair, 'lease.denied', { inUse: inUse, total }, now));
          await this.commit(tx, stream, events, hourly, {
            text: `INSERT INTO denial_marks (license_id, product, client_id, last_at) VALUES ($1, $2, $3, $4)
              ON CONFLICT (license_id, product, client_id) DO UPDATE SET last_at = EXCLUDED.last_at`,
            params: [license.licenseId, grant.product, clientId, at],
          });
          return { kind: 'denied', expired: expired.length };
        }
        await this.commit(tx, stream, events, hourly);
        return { kind: 'denied', expired: expired.length };
      },
    );
    this.metrics?.expired.inc(outcome.expired);
    if (outcome.kind === 'denied') {
      this.metrics?.denied.inc();
      throw new LeaseError('seats-exhausted', 'Every seat of this licence for the product is held.');
    }
    if (outcome.created) this.metrics?.granted.inc();
    return { lease: outcome.lease, created: outcome.created };
  }

  async heartbeat(leaseId: string, now: Date): Promise<Lease> {
    const { rows } = await this.pool.query<LeaseRow>({
      name: 'lts-heartbeat',
      text: `UPDATE leases
        SET expires_at = least($2::timestamptz + $3::int * interval '1 second',
                               coalesce(term_ends_at, 'infinity'::timestamptz))
        WHERE lease_id = $1 AND status = 'active' AND expires_at > $2::timestamptz
        RETURNING ${LEASE_COLUMNS}`,
      values: [leaseId, now.toISOString(), this.timing.leaseTtlSeconds],
    });
    const row = rows[0];
    if (row) {
      this.metrics?.heartbeats.inc();
      return toLease(row);
    }
    const known = await this.pool.query('SELECT 1 FROM leases WHERE lease_id = $1', [leaseId]);
    if (known.rows.length > 0) {
      throw new LeaseError(
        'lease-gone',
        'This lease has ended (expired, released or revoked); acquire again.',
      );
    }
    throw new LeaseError('lease-not-found', 'No such lease.');
  }

  async release(leaseId: string, now: Date): Promise<void> {
    const at = now.toISOString();
    const stream = streams.usage();
    const pairOf = `(license_id, product) = (SELECT license_id, product FROM leases WHERE lease_id = $1)`;
    const reads: Statement[] = [
      { text: `SELECT 1 FROM license_products WHERE ${pairOf} FOR UPDATE`, params: [leaseId] },
      {
        // A lease past its expiresAt already freed its seat by expiry: it is ended as expired.
        text: `UPDATE leases SET status = CASE WHEN expires_at > $2::timestamptz THEN 'released' ELSE 'expired' END,
            ended_at = $2::timestamptz
          WHERE lease_id = $1 AND status = 'active'
          RETURNING license_id, product, status`,
        params: [leaseId, at],
      },
      {
        text: `SELECT l.account_id, l.status, p.entitlements,
            (SELECT count(*)::int FROM leases x WHERE x.license_id = p.license_id AND x.product = p.product
               AND x.status = 'active' AND x.expires_at > $2::timestamptz) AS live
          FROM license_products p JOIN tracked_licenses l USING (license_id)
          WHERE (p.license_id, p.product) = (SELECT license_id, product FROM leases WHERE lease_id = $1)`,
        params: [leaseId, at],
      },
    ];
    const ended = await this.store.transaction({ lockStreams: [stream], alsoRead: reads }, async (tx) => {
      const [locked = [], ended = []] = tx.alsoRead;
      if (locked.length === 0) return 'unknown';
      const lease = ended[0] as { license_id: string; product: string; status: string } | undefined;
      if (!lease) return 'already-ended'; // releasing again is a no-op
      const facts = tx.alsoRead[2]?.[0] as
        { account_id: string; status: string; entitlements: Grant[]; live: number } | undefined;
      if (!facts) return 'already-ended';
      const pair = { licenseId: lease.license_id, accountId: facts.account_id, product: lease.product };
      const total = seatsAt(facts.entitlements, now, facts.status === 'revoked');
      const released = lease.status === 'released';
      const before = facts.live + (released ? 1 : 0);
      await this.commit(
        tx,
        stream,
        [usageEvent(pair, released ? 'lease.released' : 'lease.expired', { inUse: facts.live, total }, now)],
        [{ ...pair, at: now, seatsBefore: before, seatsAfter: facts.live, denied: 0 }],
      );
      return lease.status;
    });
    if (ended === 'unknown') throw new LeaseError('lease-not-found', 'No such lease.');
    if (ended === 'expired') this.metrics?.expired.inc();
  }

  async usage(licenseKeyHash: string, now: Date): Promise<ProductUsage[]> {
    const at = now.toISOString();
    const { rows: licenses } = await this.pool.query<{ license_id: string; status: string }>(
      'SELECT license_id, status FROM tracked_licenses WHERE license_key_hash = $1',
      [licenseKeyHash],
    );
    const license = licenses[0];
    if (!license) throw new LeaseError('license-unknown', 'No licence has this key.');
    const [products, leases] = await Promise.all([
      this.pool.query<{ product: string; unit: string; entitlements: Grant[] }>(
        'SELECT product, unit, entitlements FROM license_products WHERE license_id = $1 ORDER BY product',
        [license.license_id],
      ),
      this.pool.query<LeaseRow>(
        `SELECT ${LEASE_COLUMNS} FROM leases
         WHERE license_id = $1 AND status = 'active' AND expires_at > $2::timestamptz
         ORDER BY acquired_at, lease_id`,
        [license.license_id, at],
      ),
    ]);
    return products.rows.map((product) => {
      const held = leases.rows.filter((lease) => lease.product === product.product);
      return {
        product: product.product,
        unit: product.unit,
        seatsTotal: seatsAt(product.entitlements, now, license.status === 'revoked'),
        seatsInUse: held.length,
        leases: held.map((lease) => ({
          leaseId: lease.lease_id,
          clientId: lease.client_id,
          acquiredAt: lease.acquired_at,
          expiresAt: lease.expires_at,
        })),
      };
    });
  }

  /** The transaction's writes, its usage events and hourly rows with COMMIT, in one round trip. */
  private async commit(
    tx: EventTransaction,
    stream: string,
    events: readonly NewEvent[],
    hourly: readonly HourlyChange[],
    ...writes: Statement[]
  ): Promise<void> {
    await tx.commitWith([...writes, tx.appendStatement(stream, 0, events), hourlyUpsert(hourly)]);
  }
}
