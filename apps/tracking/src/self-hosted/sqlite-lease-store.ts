import { randomUUID } from 'node:crypto';
import { LeaseError, leasable, leaseExpiry, productsOf, seatEndsAt } from '../leases/domain/lease';
import type { AcquireRequest, Lease, LeaseStore, LeaseTiming, ProductUsage } from '../leases/lease-store';
import type { Sqlite } from './database';
import { isLive } from './license-file-checks';
import type { SelfHostedLicenses, StoredLicense } from './licenses';

interface LeaseRow {
  lease_id: string;
  license_id: string;
  product: string;
  client_id: string;
  status: 'active' | 'released' | 'expired';
  acquired_at: number;
  expires_at: number;
  term_ends_at: number | null;
}

const toLease = (row: LeaseRow): Lease => ({
  leaseId: row.lease_id,
  licenseId: row.license_id,
  product: row.product,
  clientId: row.client_id,
  acquiredAt: new Date(row.acquired_at),
  expiresAt: new Date(row.expires_at),
});

/** Ended leases are kept this long (a late heartbeat still hears 410, not 404), then deleted. */
export const ENDED_LEASE_RETENTION_MS = 24 * 3600 * 1000;

/**
 * Leases in the server's SQLite file. Every write is one IMMEDIATE transaction, so writers are
 * serial (even a second process on the same file would wait on the lock, never double-count); a
 * lease whose expires_at has passed counts for nothing, whether or not it was marked expired yet.
 */
export class SqliteLeaseStore implements LeaseStore {
  readonly mode = 'self-hosted' as const;
  private readonly statements;

  constructor(
    private readonly db: Sqlite,
    private readonly licenses: SelfHostedLicenses,
    private readonly timing: LeaseTiming,
  ) {
    this.statements = {
      expire: db.prepare(
        `UPDATE leases SET status = 'expired', ended_at = @now
         WHERE license_id = @license AND product = @product AND status = 'active' AND expires_at <= @now`,
      ),
      current: db.prepare<{ license: string; product: string; client: string }, LeaseRow>(
        `SELECT * FROM leases WHERE license_id = @license AND product = @product AND client_id = @client
           AND status = 'active'`,
      ),
      live: db.prepare<{ license: string; product: string; now: number }, { n: number }>(
        `SELECT COUNT(*) AS n FROM leases
         WHERE license_id = @license AND product = @product AND status = 'active' AND expires_at > @now`,
      ),
      insert: db.prepare(
        `INSERT INTO leases (lease_id, license_id, product, client_id, status, acquired_at, expires_at, term_ends_at)
         VALUES (@lease_id, @license_id, @product, @client_id, 'active', @acquired_at, @expires_at, @term_ends_at)`,
      ),
      heartbeat: db.prepare<{ id: string; now: number; ttl: number }, LeaseRow>(
        `UPDATE leases SET expires_at = MIN(@now + @ttl, COALESCE(term_ends_at, @now + @ttl))
         WHERE lease_id = @id AND status = 'active' AND expires_at > @now
         RETURNING *`,
      ),
      byId: db.prepare<[string], LeaseRow>('SELECT * FROM leases WHERE lease_id = ?'),
      release: db.prepare(
        `UPDATE leases SET status = 'released', ended_at = @now WHERE lease_id = @id AND status = 'active'`,
      ),
      liveOfLicense: db.prepare<{ license: string; now: number }, LeaseRow>(
        `SELECT * FROM leases WHERE license_id = @license AND status = 'active' AND expires_at > @now
         ORDER BY acquired_at, lease_id`,
      ),
      sweepExpired: db.prepare(
        `UPDATE leases SET status = 'expired', ended_at = @now WHERE status = 'active' AND expires_at <= @now`,
      ),
      prune: db.prepare(`DELETE FROM leases WHERE status <> 'active' AND ended_at < @before`),
    };
  }

  private license(keyHash: string): StoredLicense {
    const license = this.licenses.findByKeyHash(keyHash);
    if (!license) {
      throw new LeaseError('license-unknown', 'No licence with this key was loaded on this server.');
    }
    return license;
  }

  async acquire(request: AcquireRequest): Promise<{ lease: Lease; created: boolean }> {
    const now = request.now.getTime();
    return this.db
      .transaction(() => {
        const license = this.license(request.licenseKeyHash);
        const { product, seatsTotal } = leasable(license, request.product, this.mode, request.now);
        const scope = { license: license.licenseId, product };
        this.statements.expire.run({ ...scope, now });
        const current = this.statements.current.get({ ...scope, client: request.clientId });
        if (current) return { lease: toLease(current), created: false };
        const inUse = this.statements.live.get({ ...scope, now })?.n ?? 0;
        if (inUse >= seatsTotal) {
          throw new LeaseError('seats-exhausted', `All ${seatsTotal} seats of ${product} are held.`, {
            product,
            seatsTotal,
            seatsInUse: inUse,
          });
        }
        const termEndsAt = seatEndsAt(license, product, inUse + 1, request.now);
        const row: LeaseRow = {
          lease_id: randomUUID(),
          license_id: license.licenseId,
          product,
          client_id: request.clientId,
          status: 'active',
          acquired_at: now,
          expires_at: leaseExpiry(request.now, this.timing.leaseTtlSeconds, termEndsAt).getTime(),
          term_ends_at: termEndsAt?.getTime() ?? null,
        };
        const { status: _status, ...values } = row;
        this.statements.insert.run(values);
        return { lease: toLease(row), created: true };
      })
      .immediate();
  }

  async heartbeat(leaseId: string, now: Date): Promise<Lease> {
    const updated = this.statements.heartbeat.get({
      id: leaseId,
      now: now.getTime(),
      ttl: this.timing.leaseTtlSeconds * 1000,
    });
    if (updated) return toLease(updated);
    if (this.statements.byId.get(leaseId)) {
      throw new LeaseError('lease-gone', 'This lease has ended (expired or released): acquire a new one.');
    }
    throw new LeaseError('lease-not-found', 'No such lease.');
  }

  async release(leaseId: string, now: Date): Promise<void> {
    const { changes } = this.statements.release.run({ id: leaseId, now: now.getTime() });
    if (changes === 0 && !this.statements.byId.get(leaseId)) {
      throw new LeaseError('lease-not-found', 'No such lease.');
    }
  }

  async usage(licenseKeyHash: string, now: Date): Promise<ProductUsage[]> {
    const license = this.license(licenseKeyHash);
    const live = this.statements.liveOfLicense.all({ license: license.licenseId, now: now.getTime() });
    return productsOf(license).map((product) => {
      const entitlements = license.entitlements.filter((entitlement) => entitlement.product === product);
      const leases = live.filter((row) => row.product === product);
      return {
        product,
        unit: entitlements[0]?.unit ?? '',
        seatsTotal: entitlements
          .filter((entitlement) => isLive(entitlement, now))
          .reduce((sum, entitlement) => sum + entitlement.seats, 0),
        seatsInUse: leases.length,
        leases: leases.map((row) => ({
          leaseId: row.lease_id,
          clientId: row.client_id,
          acquiredAt: new Date(row.acquired_at),
          expiresAt: new Date(row.expires_at),
        })),
      };
    });
  }

  /** Marks leases past their expiry as expired and deletes those ended over a day ago. */
  sweep(now: Date): { expired: number; pruned: number } {
    return this.db
      .transaction(() => ({
        expired: this.statements.sweepExpired.run({ now: now.getTime() }).changes,
        pruned: this.statements.prune.run({ before: now.getTime() - ENDED_LEASE_RETENTION_MS }).changes,
      }))
      .immediate();
  }
}
