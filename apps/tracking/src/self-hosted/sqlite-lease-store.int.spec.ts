import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entitlement } from '@otl/contracts';
import { licenseKeyHash, newLicenseKey, signLicenseFile } from '@otl/licensing';
import { LeaseError } from '../leases/domain/lease';
import { ensureInstance, migrate, migrations, openDatabase, type Sqlite } from './database';
import { checkLicenseFile } from './license-file-checks';
import { SelfHostedLicenses } from './licenses';
import { ENDED_LEASE_RETENTION_MS, SqliteLeaseStore } from './sqlite-lease-store';

// Real SQLite files in a temporary directory: the store exactly as the server runs it.
const T0 = new Date('2026-12-01T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keys = new Map([['k1', publicKey]]);
const timing = { leaseTtlSeconds: 60, heartbeatSeconds: 20 };

function open() {
  const db = openDatabase(mkdtempSync(join(tmpdir(), 'lts-store-')));
  const instance = ensureInstance(db, T0);
  const licenses = new SelfHostedLicenses(db);
  return { db, instance, licenses, store: new SqliteLeaseStore(db, licenses, timing) };
}

function load(
  target: { licenses: SelfHostedLicenses; instance: { ltsInstanceId: string } },
  entitlements: Entitlement[],
  base: { licenseId?: string; licenseKey?: string; issuedAt?: Date } = {},
) {
  const payload = {
    licenseId: base.licenseId ?? randomUUID(),
    licenseKey: base.licenseKey ?? newLicenseKey(),
    accountId: randomUUID(),
    trackingMode: 'self-hosted' as const,
    ltsInstanceId: target.instance.ltsInstanceId,
    trackingUrl: null,
    entitlements,
    issuedAt: (base.issuedAt ?? T0).toISOString(),
  };
  const file = checkLicenseFile(
    signLicenseFile(payload, { kid: 'k1', privateKey }),
    keys,
    target.instance.ltsInstanceId,
    T0,
  );
  return { payload, hash: licenseKeyHash(payload.licenseKey), ...target.licenses.load(file, T0) };
}

const code = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: unknown) => (error instanceof LeaseError ? error.code : String(error)),
  );

describe('SQLite database', () => {
  it('migrates once and keeps the instance id it made first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lts-db-'));
    const first = openDatabase(dir);
    const id = ensureInstance(first, T0).ltsInstanceId;
    expect(id).toMatch(/^lts-[0-9a-z]{20}$/);
    expect(first.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(first.pragma('busy_timeout', { simple: true })).toBe(5000);
    first.close();
    const second: Sqlite = openDatabase(dir);
    expect(migrate(second)).toEqual([]);
    expect(second.prepare('SELECT version FROM schema_version').pluck().all()).toEqual(
      migrations.map((m) => m.version),
    );
    expect(ensureInstance(second, later(1000), () => 'lts-other').ltsInstanceId).toBe(id);
    second.close();
  });
});

describe('SqliteLeaseStore', () => {
  it('is exact across two connections to one file (writers are serial)', async () => {
    const a = open();
    const b = { ...a, db: openDatabase(a.db.name.replace(/\/lts\.sqlite$/, '')) };
    const storeB = new SqliteLeaseStore(b.db, new SelfHostedLicenses(b.db), timing);
    const { hash } = load(a, [{ product: 'p', unit: 'device', seats: 2, expiresAt: null }]);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        code(
          (index % 2 ? storeB : a.store).acquire({
            licenseKeyHash: hash,
            clientId: `c${index}`,
            product: undefined,
            now: T0,
          }),
        ),
      ),
    );
    expect(results.filter((result) => result === 'ok')).toHaveLength(2);
    expect(results.filter((result) => result === 'seats-exhausted')).toHaveLength(8);
    b.db.close();
  });

  it('frees the seat of a lease past its expiry before any sweep, and caps leases at the term', async () => {
    const { store, ...target } = open();
    const end = later(30_000).toISOString();
    const { hash } = load(target, [{ product: 'p', unit: 'device', seats: 1, expiresAt: end }]);
    const { lease } = await store.acquire({ licenseKeyHash: hash, clientId: 'a', product: 'p', now: T0 });
    expect(lease.expiresAt.toISOString()).toBe(end); // TTL 60 s, term 30 s
    expect(
      await code(store.acquire({ licenseKeyHash: hash, clientId: 'b', product: 'p', now: later(29_000) })),
    ).toBe('seats-exhausted');
    expect(await code(store.heartbeat(lease.leaseId, later(30_000)))).toBe('lease-gone');
    expect(
      await code(store.acquire({ licenseKeyHash: hash, clientId: 'b', product: 'p', now: later(30_000) })),
    ).toBe('license-expired');
  });

  it('puts live leases under the new terms on renewal, ending those of a product no longer licensed', async () => {
    const { store, db, ...target } = open();
    const soon = later(30_000).toISOString();
    const far = later(10 * 24 * 3600_000).toISOString();
    const first = load(target, [
      { product: 'p', unit: 'device', seats: 1, expiresAt: soon },
      { product: 'q', unit: 'device', seats: 1, expiresAt: null },
    ]);
    const p = await store.acquire({ licenseKeyHash: first.hash, clientId: 'a', product: 'p', now: T0 });
    const q = await store.acquire({ licenseKeyHash: first.hash, clientId: 'a', product: 'q', now: T0 });
    const renewed = load(target, [{ product: 'p', unit: 'device', seats: 3, expiresAt: far }], {
      licenseId: first.payload.licenseId,
      licenseKey: first.payload.licenseKey,
      issuedAt: later(1000),
    });
    expect(renewed.outcome).toBe('renewed');
    expect(await code(store.heartbeat(q.lease.leaseId, later(2000)))).toBe('lease-gone');
    // p's lease now runs the TTL past the old term end.
    const beat = await store.heartbeat(p.lease.leaseId, later(29_000));
    expect(beat.expiresAt.toISOString()).toBe(later(89_000).toISOString());
    const usage = await store.usage(first.hash, later(29_000));
    expect(usage.map(({ product, seatsTotal, seatsInUse }) => ({ product, seatsTotal, seatsInUse }))).toEqual(
      [{ product: 'p', seatsTotal: 3, seatsInUse: 1 }],
    );
    expect(db.prepare('SELECT COUNT(*) FROM licenses').pluck().get()).toBe(1);
  });

  it('sweeps expired leases and prunes ended ones after a day; late heartbeats are then 404', async () => {
    const { store, ...target } = open();
    const { hash } = load(target, [{ product: 'p', unit: 'device', seats: 2, expiresAt: null }]);
    const a = await store.acquire({ licenseKeyHash: hash, clientId: 'a', product: undefined, now: T0 });
    const b = await store.acquire({ licenseKeyHash: hash, clientId: 'b', product: undefined, now: T0 });
    await store.release(b.lease.leaseId, later(1000));
    expect(store.sweep(later(61_000))).toEqual({ expired: 1, pruned: 0 });
    expect(await code(store.heartbeat(a.lease.leaseId, later(62_000)))).toBe('lease-gone');
    expect(store.sweep(later(62_000 + ENDED_LEASE_RETENTION_MS))).toEqual({ expired: 0, pruned: 2 });
    expect(await code(store.heartbeat(a.lease.leaseId, later(ENDED_LEASE_RETENTION_MS * 2)))).toBe(
      'lease-not-found',
    );
    expect(await code(store.release(a.lease.leaseId, later(ENDED_LEASE_RETENTION_MS * 2)))).toBe(
      'lease-not-found',
    );
  });
});
