import { randomBytes, randomUUID } from 'node:crypto';
import { validateEventData, type Entitlement, type UsageRecordedV1 } from '@otl/contracts';
import { EventStore, createDataSource, migrate, poolOf, silentLogger } from '@otl/event-store';
import { createTestDatabase, eventually, type TestDatabase } from '@otl/testing';
import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { LeaseError } from '../../leases/domain/lease';
import { trackingMigrations } from '../infrastructure/migrations';
import { TrackedLicenses } from '../licenses/tracked-licenses';
import { UsageHistory } from '../usage/usage-history';
import { PostgresLeaseStore } from './postgres-lease-store';
import { SharedRateLimiter } from './shared-rate-limiter';
import { Sweeper } from './sweeper';

const TIMING = { leaseTtlSeconds: 60, heartbeatSeconds: 20 };
const T0 = new Date('2026-12-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof LeaseError) return error.code;
    throw error;
  }
}

/** The hosted lease store on a real database, two "instances" (pools) sharing it. */
describe('PostgresLeaseStore, sweeper and shared rate limiter (real Postgres)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let otherPool: Pool;
  let store: EventStore;
  let leases: PostgresLeaseStore;
  let other: PostgresLeaseStore;
  let licenses: TrackedLicenses;
  const now = T0;

  beforeAll(async () => {
    db = await createTestDatabase('tracking_int');
    // 200 acquisitions of one product queue on its row lock: each waiting one holds a connection.
    dataSource = createDataSource({ url: db.url, migrations: trackingMigrations, poolSize: 60 });
    await dataSource.initialize();
    await migrate(dataSource);
    pool = poolOf(dataSource);
    otherPool = new Pool({ connectionString: db.url, max: 60 });
    store = new EventStore(pool);
    leases = new PostgresLeaseStore(store, pool, TIMING);
    other = new PostgresLeaseStore(new EventStore(otherPool), otherPool, TIMING);
    licenses = new TrackedLicenses(() => now);
    // Open every connection first: the specs measure locking, not 40 simultaneous SCRAM handshakes.
    const warm = (on: Pool) => Array.from({ length: 60 }, () => on.query('SELECT pg_sleep(0.05)'));
    await Promise.all([...warm(pool), ...warm(otherPool)]);
  });

  afterAll(async () => {
    await otherPool?.end();
    await dataSource?.destroy();
    await db?.drop();
  });

  /** A licence learnt from licenses.v1 (generated, then activated): its id, account and key hash. */
  async function license(
    entitlements: Omit<Entitlement, 'unit'>[],
    trackingMode: 'vendor-hosted' | 'self-hosted' = 'vendor-hosted',
  ) {
    const licenseId = randomUUID();
    const accountId = randomUUID();
    const hash = randomBytes(32).toString('hex');
    const locks = TrackedLicenses.locks({ licenseId });
    await store.transaction({ lockStreams: locks }, (tx) =>
      tx.commitWith([
        ...licenses.onGenerated({
          licenseId,
          accountId,
          licenseKeyHash: hash,
          items: [],
          generatedAt: T0.toISOString(),
        }),
        ...licenses.onActivated({
          licenseId,
          accountId,
          trackingMode,
          ltsInstanceId: trackingMode === 'self-hosted' ? 'lts-1' : null,
          entitlements: entitlements.map((entitlement) => ({ unit: 'device', ...entitlement })),
          activatedAt: T0.toISOString(),
        }),
      ]),
    );
    return { licenseId, accountId, hash };
  }

  async function revoke(licenseId: string, accountId: string) {
    await store.transaction(
      { lockStreams: TrackedLicenses.locks({ licenseId }), prefetch: true },
      async (tx) =>
        tx.commitWith(
          await licenses.onRevoked(tx, {
            licenseId,
            accountId,
            reason: 'refund',
            revokedAt: now.toISOString(),
          }),
        ),
    );
  }

  async function usageEvents(licenseId: string): Promise<UsageRecordedV1[]> {
    const { rows } = await pool.query<{ data: UsageRecordedV1 }>(
      `SELECT data FROM es_events WHERE type = 'usage.recorded.v1' AND data->>'licenseId' = $1
       ORDER BY global_position`,
      [licenseId],
    );
    for (const { data } of rows) expect(validateEventData('usage.recorded.v1', data)).toEqual({ ok: true });
    return rows.map((row) => row.data);
  }
  const actions = async (licenseId: string) => (await usageEvents(licenseId)).map((event) => event.action);

  const acquire = (hash: string, clientId: string, when: Date, product?: string, via = leases) =>
    via.acquire({ licenseKeyHash: hash, clientId, product, now: when });

  it('grants exactly the seats of 10 to 200 concurrent clients over two instances', async () => {
    const { licenseId, hash } = await license([{ product: 'barcode-reader-js', seats: 10, expiresAt: null }]);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        codeOf(acquire(hash, `device-${i}`, now, undefined, i % 2 === 0 ? leases : other)),
      ),
    );
    expect(answers.filter((code) => code === 'ok')).toHaveLength(10);
    expect(answers.filter((code) => code === 'seats-exhausted')).toHaveLength(190);
    const events = await usageEvents(licenseId);
    const acquired = events.filter((event) => event.action === 'lease.acquired');
    expect(acquired).toHaveLength(10);
    expect(acquired.map((event) => event.seatsInUse).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    // 190 different clients refused once each: each refusal is reported once.
    expect(events.filter((event) => event.action === 'lease.denied')).toHaveLength(190);
    const usage = await leases.usage(hash, now);
    expect(usage).toMatchObject([
      { product: 'barcode-reader-js', unit: 'device', seatsTotal: 10, seatsInUse: 10 },
    ]);
  });

  it("gives a client its current lease back, and frees an expired lease's seat before any sweep", async () => {
    const { licenseId, hash } = await license([{ product: 'web-twain', seats: 1, expiresAt: null }]);
    const first = await acquire(hash, 'a', at(0));
    expect(first.created).toBe(true);
    const again = await acquire(hash, 'a', at(10));
    expect(again).toEqual({ lease: first.lease, created: false });
    expect(await codeOf(acquire(hash, 'b', at(30)))).toBe('seats-exhausted');
    const beat = await leases.heartbeat(first.lease.leaseId, at(30));
    expect(beat.expiresAt).toEqual(at(90));
    expect(await codeOf(acquire(hash, 'b', at(89)))).toBe('seats-exhausted');
    const taken = await acquire(hash, 'b', at(91), undefined, other);
    expect(taken.created).toBe(true);
    expect(await codeOf(leases.heartbeat(first.lease.leaseId, at(92)))).toBe('lease-gone');
    expect(await codeOf(leases.heartbeat(randomUUID(), at(92)))).toBe('lease-not-found');
    expect(await actions(licenseId)).toEqual([
      'lease.acquired',
      'lease.denied',
      // 'b' again within the minute: counted in the hour, not reported
      'lease.expired',
      'lease.acquired',
    ]);
    const { rows } = await pool.query(
      'SELECT peak_seats_in_use, denied, last_seats_in_use FROM usage_hours WHERE license_id = $1',
      [licenseId],
    );
    expect(rows).toEqual([{ peak_seats_in_use: 1, denied: 2, last_seats_in_use: 1 }]);
  });

  it('releases at once, a second release is a no-op, an unknown lease is not found', async () => {
    const { licenseId, hash } = await license([{ product: 'web-twain', seats: 1, expiresAt: null }]);
    const { lease } = await acquire(hash, 'a', at(0));
    await leases.release(lease.leaseId, at(1));
    await other.release(lease.leaseId, at(2));
    expect(await codeOf(leases.release(randomUUID(), at(2)))).toBe('lease-not-found');
    expect((await acquire(hash, 'b', at(3))).created).toBe(true);
    expect(await codeOf(leases.heartbeat(lease.leaseId, at(3)))).toBe('lease-gone');
    const events = await usageEvents(licenseId);
    expect(events.map((event) => [event.action, event.seatsInUse, event.seatsTotal])).toEqual([
      ['lease.acquired', 1, 1],
      ['lease.released', 0, 1],
      ['lease.acquired', 1, 1],
    ]);
  });

  it('coalesces denials to one lease.denied per client and minute; every one counts in the hour', async () => {
    const { licenseId, hash } = await license([{ product: 'web-twain', seats: 1, expiresAt: null }]);
    const holder = await acquire(hash, 'holder', at(0));
    await leases.heartbeat(holder.lease.leaseId, at(30));
    for (let i = 0; i < 20; i++)
      expect(await codeOf(acquire(hash, 'looper', at(1 + i)))).toBe('seats-exhausted');
    expect(await codeOf(acquire(hash, 'looper', at(62)))).toBe('seats-exhausted');
    expect(await actions(licenseId)).toEqual(['lease.acquired', 'lease.denied', 'lease.denied']);
    const { rows } = await pool.query('SELECT denied FROM usage_hours WHERE license_id = $1', [licenseId]);
    expect(rows).toEqual([{ denied: 21 }]);
  });

  it('refuses revoked, self-hosted, expired and unknown licences and unlicensed products', async () => {
    const self = await license([{ product: 'web-twain', seats: 1, expiresAt: null }], 'self-hosted');
    expect(await codeOf(acquire(self.hash, 'a', now))).toBe('wrong-tracking-mode');
    const ended = await license([{ product: 'web-twain', seats: 1, expiresAt: at(-1).toISOString() }]);
    expect(await codeOf(acquire(ended.hash, 'a', now))).toBe('license-expired');
    expect(await codeOf(acquire(randomBytes(32).toString('hex'), 'a', now))).toBe('license-unknown');
    const two = await license([
      { product: 'web-twain', seats: 1, expiresAt: null },
      { product: 'barcode-reader-js', seats: 1, expiresAt: null },
    ]);
    expect(await codeOf(acquire(two.hash, 'a', now))).toBe('product-required');
    expect(await codeOf(acquire(two.hash, 'a', now, 'nope'))).toBe('product-not-licensed');
    expect((await acquire(two.hash, 'a', now, 'web-twain')).created).toBe(true);
    expect((await acquire(two.hash, 'a', now, 'barcode-reader-js')).created).toBe(true);
    expect(await usageEvents(self.licenseId)).toEqual([]);
  });

  it('caps a lease at the end of the term', async () => {
    const { hash } = await license([{ product: 'web-twain', seats: 1, expiresAt: at(30).toISOString() }]);
    const { lease } = await acquire(hash, 'a', at(0));
    expect(lease.expiresAt).toEqual(at(30));
    expect(await codeOf(leases.heartbeat(lease.leaseId, at(31)))).toBe('lease-gone');
  });

  it('ends every lease of a revoked licence at once; new ones are refused', async () => {
    const { licenseId, accountId, hash } = await license([
      { product: 'web-twain', seats: 3, expiresAt: null },
      { product: 'barcode-reader-js', seats: 2, expiresAt: null },
    ]);
    const held = [
      await acquire(hash, 'a', now, 'web-twain'),
      await acquire(hash, 'b', now, 'web-twain'),
      await acquire(hash, 'c', now, 'barcode-reader-js'),
    ];
    await revoke(licenseId, accountId);
    for (const { lease } of held)
      expect(await codeOf(leases.heartbeat(lease.leaseId, now))).toBe('lease-gone');
    expect(await codeOf(acquire(hash, 'd', now, 'web-twain'))).toBe('license-revoked');
    const ended = (await usageEvents(licenseId)).filter((event) => event.action !== 'lease.acquired');
    expect(
      ended.map((event) => [event.action, event.product, event.seatsInUse, event.seatsTotal]).sort(),
    ).toEqual(
      [
        ['lease.released', 'barcode-reader-js', 0, 0],
        ['lease.released', 'web-twain', 0, 0],
        ['lease.released', 'web-twain', 1, 0],
      ].sort(),
    );
    expect(await leases.usage(hash, now)).toMatchObject([
      { product: 'barcode-reader-js', seatsTotal: 0, seatsInUse: 0 },
      { product: 'web-twain', seatsTotal: 0, seatsInUse: 0 },
    ]);
  });

  it('grants no lease to an acquisition that waited on a revocation still in flight', async () => {
    const { licenseId, accountId, hash } = await license([
      { product: 'web-twain', seats: 3, expiresAt: null },
    ]);
    // The revocation has marked the licence and holds its products' locks, but has not committed.
    let commit!: () => void;
    const gate = new Promise<void>((resolve) => (commit = resolve));
    const revoking = store.transaction(
      { lockStreams: TrackedLicenses.locks({ licenseId }), prefetch: true },
      async (tx) => {
        const statements = await licenses.onRevoked(tx, {
          licenseId,
          accountId,
          reason: 'refund',
          revokedAt: now.toISOString(),
        });
        await gate;
        return tx.commitWith(statements);
      },
    );
    await eventually(
      async () =>
        await pool
          .query(`SELECT 1 FROM license_products WHERE license_id = $1 FOR UPDATE NOWAIT`, [licenseId])
          .then(
            () => undefined,
            () => true, // locked: the revocation holds it
          ),
      { what: 'the revocation holding the product lock' },
    );
    const racer = codeOf(
      other.acquire({ licenseKeyHash: hash, clientId: 'racer', product: 'web-twain', now }),
    );
    await eventually(
      async () =>
        (
          await pool.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )
        ).rows.length > 0 || undefined,
      { what: 'the acquisition waiting on the lock' },
    );
    commit();
    await revoking;
    expect(await racer).toBe('license-revoked');
    expect(await leases.usage(hash, now)).toMatchObject([{ product: 'web-twain', seatsInUse: 0 }]);
  });

  it('sweeps 10,000 expired leases once each with two sweepers at work', async () => {
    const licenseIds: string[] = [];
    const leaseRows: unknown[] = [];
    for (let l = 0; l < 20; l++) {
      const { licenseId } = await license([{ product: 'barcode-reader-js', seats: 500, expiresAt: null }]);
      licenseIds.push(licenseId);
      for (let c = 0; c < 500; c++) {
        leaseRows.push({
          lease_id: randomUUID(),
          license_id: licenseId,
          product: 'barcode-reader-js',
          client_id: `device-${c}`,
          acquired_at: at(0).toISOString(),
          expires_at: at(60).toISOString(),
        });
      }
    }
    await pool.query(
      `INSERT INTO leases (lease_id, license_id, product, client_id, status, acquired_at, expires_at)
       SELECT r.lease_id, r.license_id, r.product, r.client_id, 'active', r.acquired_at, r.expires_at
       FROM jsonb_to_recordset($1::jsonb)
         AS r(lease_id uuid, license_id uuid, product text, client_id text, acquired_at timestamptz, expires_at timestamptz)`,
      [JSON.stringify(leaseRows)],
    );
    const { rows: stale } = await pool.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM leases WHERE status = 'active' AND expires_at <= $1`,
      [at(61)],
    );
    const sweeper = (on: Pool, base: EventStore) =>
      new Sweeper({ store: base, pool: on, now: () => now, logger: silentLogger, intervalSeconds: 60 });
    const started = Date.now();
    const results = await Promise.all([
      sweeper(pool, store).sweep(at(61)),
      sweeper(otherPool, new EventStore(otherPool)).sweep(at(61)),
    ]);
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`swept 10,000 leases with two sweepers in ${seconds.toFixed(2)} s\n`);
    expect(results[0]!.expired + results[1]!.expired).toBe(stale[0]!.count);
    expect(stale[0]!.count).toBeGreaterThanOrEqual(10_000);
    const { rows } = await pool.query<{ count: string }>(
      `SELECT count(*)::text AS count FROM es_events WHERE type = 'usage.recorded.v1'
       AND data->>'action' = 'lease.expired' AND data->>'licenseId' = ANY($1)`,
      [licenseIds],
    );
    expect(rows[0]!.count).toBe('10000');
    const remaining = await pool.query(
      `SELECT 1 FROM leases WHERE status = 'active' AND license_id = ANY($1)`,
      [licenseIds],
    );
    expect(remaining.rows).toEqual([]);
  });

  it("serves a licence's dense hourly history to its owner, filling gaps with the last level", async () => {
    const { licenseId, accountId, hash } = await license([
      { product: 'web-twain', seats: 2, expiresAt: null },
    ]);
    const daylong = new PostgresLeaseStore(store, pool, { leaseTtlSeconds: 86_400, heartbeatSeconds: 600 });
    const a = await acquire(hash, 'a', at(60), undefined, daylong); // 10:01 → 1
    await acquire(hash, 'b', at(120), undefined, daylong); // 10:02 → 2
    await daylong.release(a.lease.leaseId, at(3 * 3600 + 60)); // 13:01 → 1
    expect(await codeOf(acquire(hash, 'c', at(3 * 3600 + 90), undefined, daylong))).toBe('ok'); // 13:01 → 2
    const history = new UsageHistory(pool);
    expect(await history.of(licenseId, randomUUID(), at(4 * 3600))).toBeNull();
    expect(await history.of(randomUUID(), accountId, at(4 * 3600))).toBeNull();
    const usage = await history.of(licenseId, accountId, at(4 * 3600 + 5));
    expect(usage).toEqual({
      licenseId,
      trackingMode: 'vendor-hosted',
      products: [
        {
          product: 'web-twain',
          unit: 'device',
          seatsTotal: 2,
          seatsInUse: 2,
          history: [
            { hour: '2026-12-01T10:00:00.000Z', peakSeatsInUse: 2, denied: 0 },
            { hour: '2026-12-01T11:00:00.000Z', peakSeatsInUse: 2, denied: 0 },
            { hour: '2026-12-01T12:00:00.000Z', peakSeatsInUse: 2, denied: 0 },
            { hour: '2026-12-01T13:00:00.000Z', peakSeatsInUse: 2, denied: 0 },
            { hour: '2026-12-01T14:00:00.000Z', peakSeatsInUse: 2, denied: 0 },
          ],
        },
      ],
    });
    const self = await license([{ product: 'web-twain', seats: 1, expiresAt: null }], 'self-hosted');
    const { rows } = await pool.query('SELECT account_id FROM tracked_licenses WHERE license_id = $1', [
      self.licenseId,
    ]);
    expect(await history.of(self.licenseId, rows[0].account_id, now)).toEqual({
      licenseId: self.licenseId,
      trackingMode: 'self-hosted',
      products: null,
    });
  });

  it('shares the rate limit between instances to within one flush', async () => {
    const limiter = (on: Pool) =>
      new SharedRateLimiter({ pool: on, limitPerMinute: 10, flushMs: 1000, logger: silentLogger });
    const [a, b] = [limiter(pool), limiter(otherPool)];
    const address = `10.0.0.${Math.floor(Math.random() * 250)}`;
    const when = new Date();
    for (let i = 0; i < 6; i++) expect(a.take(address, when).allowed).toBe(true);
    for (let i = 0; i < 4; i++) expect(b.take(address, when).allowed).toBe(true);
    await a.flush(when);
    await b.flush(when);
    const refused = b.take(address, when);
    expect(refused.allowed).toBe(false);
    expect(refused.allowed === false && refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Instance a knew of 6 requests, past half the limit: its next flush fetches the total.
    await a.flush(when);
    expect(a.take(address, when).allowed).toBe(false);
    expect(b.take(address, when).allowed).toBe(false);
    expect(a.take('10.9.9.9', when).allowed).toBe(true);
    // Below half the limit, an instance learns the others' requests with its own next flush.
    const quiet = `10.1.1.${Math.floor(Math.random() * 250)}`;
    for (let i = 0; i < 4; i++) expect(a.take(quiet, when).allowed).toBe(true);
    await a.flush(when);
    for (let i = 0; i < 6; i++) expect(b.take(quiet, when).allowed).toBe(true);
    await b.flush(when);
    await a.flush(when);
    expect(a.take(quiet, when).allowed).toBe(true); // within one flush interval
    await a.flush(when);
    expect(a.take(quiet, when).allowed).toBe(false);
  });
});
