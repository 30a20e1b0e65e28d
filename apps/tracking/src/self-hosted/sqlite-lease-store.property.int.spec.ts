import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entitlement } from '@otl/contracts';
import { licenseKeyHash, newLicenseKey, signLicenseFile } from '@otl/licensing';
import { ProblemException } from '@otl/platform';
import { propertyParameters } from '@otl/testing';
import fc from 'fast-check';
import { LeaseError } from '../leases/domain/lease';
import { ensureInstance, openDatabase } from './database';
import { checkLicenseFile } from './license-file-checks';
import { SelfHostedLicenses } from './licenses';
import { SqliteLeaseStore } from './sqlite-lease-store';

// The seat count is kept by the store, under its lock, so its invariant is checked on a real SQLite file.
const T0 = new Date('2026-12-01T10:00:00.000Z');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keys = new Map([['k1', publicKey]]);
const timing = { leaseTtlSeconds: 60, heartbeatSeconds: 20 };
const clients = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];

// One product, with terms that end within minutes of T0 (some never), so leases outlive some of them.
const entitlements = fc.array(
  fc.record({
    product: fc.constant('p'),
    unit: fc.constant('device'),
    seats: fc.integer({ min: 1, max: 3 }),
    expiresAt: fc.option(
      fc
        .integer({ min: 1, max: 300 })
        .map((seconds) => new Date(T0.getTime() + seconds * 1000).toISOString()),
      { nil: null },
    ),
  }),
  { minLength: 1, maxLength: 3 },
);
// Mostly clients taking and keeping seats, with time passing; now and then one lets go or the file is renewed.
const operation = fc.oneof(
  {
    arbitrary: fc.record({ type: fc.constant('acquire' as const), client: fc.constantFrom(...clients) }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ type: fc.constant('heartbeat' as const), client: fc.constantFrom(...clients) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ type: fc.constant('release' as const), client: fc.constantFrom(...clients) }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ type: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 90 }) }),
    weight: 2,
  },
  // A renewed licence file (a later issuedAt) with other terms, loaded while leases are live.
  { arbitrary: fc.record({ type: fc.constant('renew' as const), entitlements }), weight: 1 },
);

/** A client's call refused with a LeaseError (seats-exhausted, lease-gone, ...) is part of the game. */
async function refusedOrDone(call: Promise<unknown>): Promise<void> {
  await call.catch((error: unknown) => {
    if (!(error instanceof LeaseError)) throw error;
  });
}

describe('SqliteLeaseStore (properties)', () => {
  it('never has more seats of a product in use than the licence grants at that moment', async () => {
    await fc.assert(
      fc.asyncProperty(
        entitlements,
        fc.array(operation, { minLength: 3, maxLength: 25 }),
        async (granted: Entitlement[], operations) => {
          const dir = mkdtempSync(join(tmpdir(), 'lts-property-'));
          const db = openDatabase(dir);
          try {
            const instance = ensureInstance(db, T0);
            const licenses = new SelfHostedLicenses(db);
            const store = new SqliteLeaseStore(db, licenses, timing);
            const licenseKey = newLicenseKey();
            const licenseId = randomUUID();
            const load = (terms: Entitlement[], at: Date) => {
              const payload = {
                licenseId,
                licenseKey,
                accountId: '7d5e3b1a-0c2f-4e8a-9b4d-1f2e3d4c5b6a',
                trackingMode: 'self-hosted' as const,
                ltsInstanceId: instance.ltsInstanceId,
                trackingUrl: null,
                entitlements: terms,
                issuedAt: at.toISOString(),
              };
              const file = signLicenseFile(payload, { kid: 'k1', privateKey });
              licenses.load(checkLicenseFile(file, keys, instance.ltsInstanceId, at), at);
            };
            load(granted, T0);
            const hash = licenseKeyHash(licenseKey);
            const leases = new Map<string, string>();
            let now = T0;
            for (const op of operations) {
              if (op.type === 'wait') now = new Date(now.getTime() + op.seconds * 1000);
              else if (op.type === 'renew') {
                now = new Date(now.getTime() + 1000); // a newer file than the one loaded
                try {
                  load(op.entitlements, now);
                } catch (error) {
                  // A file whose every term has ended is refused, and the loaded one stays.
                  if (!(error instanceof ProblemException)) throw error;
                }
              } else if (op.type === 'acquire') {
                await refusedOrDone(
                  store
                    .acquire({ licenseKeyHash: hash, clientId: op.client, product: 'p', now })
                    .then(({ lease }) => leases.set(op.client, lease.leaseId)),
                );
              } else {
                const leaseId = leases.get(op.client);
                if (!leaseId) continue;
                await refusedOrDone(
                  op.type === 'heartbeat' ? store.heartbeat(leaseId, now) : store.release(leaseId, now),
                );
              }
              for (const usage of await store.usage(hash, now)) {
                expect(usage.seatsInUse).toBeLessThanOrEqual(usage.seatsTotal);
                expect(usage.seatsInUse).toBe(usage.leases.length);
              }
            }
          } finally {
            db.close();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      propertyParameters(200),
    );
  });
});
