import type { Entitlement, TrackingMode } from '@otl/contracts';
import { propertyParameters } from '@otl/testing';
import fc from 'fast-check';
import { LeaseError, leasable, leaseExpiry, productsOf, seatEndsAt, type TrackedLicense } from './lease';

const now = new Date('2026-12-01T10:00:00.000Z');
const modes: TrackingMode[] = ['vendor-hosted', 'self-hosted'];
const productNames = ['barcode-reader-js', 'barcode-reader-server', 'web-twain'];

// Terms that ended up to a year ago, end within the hour, or run up to a year on; some perpetual.
const expiresAt = fc.oneof(
  fc.constant(null),
  fc
    .integer({ min: -365 * 24 * 60, max: 365 * 24 * 60 })
    .map((minutes) => new Date(now.getTime() + minutes * 60_000).toISOString()),
);
const entitlement: fc.Arbitrary<Entitlement> = fc.record({
  product: fc.constantFrom(...productNames),
  unit: fc.constant('device'),
  seats: fc.integer({ min: 1, max: 50 }),
  expiresAt,
});
const license: fc.Arbitrary<TrackedLicense> = fc.record({
  licenseId: fc.constant('0b8f5c1e-3a52-4d5e-9a40-4f7f6b1de2a1'),
  accountId: fc.constant('7d5e3b1a-0c2f-4e8a-9b4d-1f2e3d4c5b6a'),
  status: fc.constantFrom('generated' as const, 'activated' as const, 'revoked' as const),
  trackingMode: fc.constantFrom(null, ...modes),
  ltsInstanceId: fc.constant(null),
  entitlements: fc.array(entitlement, { minLength: 1, maxLength: 5 }),
});
const requested = fc.option(fc.constantFrom(...productNames, 'not-a-product'), { nil: undefined });
const serverMode = fc.constantFrom(...modes);

const live = (e: Entitlement) => e.expiresAt === null || Date.parse(e.expiresAt) > now.getTime();

/** The outcome of `leasable`: what it grants, or the code it refuses with. */
function outcome(...args: Parameters<typeof leasable>) {
  try {
    return { granted: leasable(...args), refused: null };
  } catch (error) {
    if (error instanceof LeaseError) return { granted: null, refused: error.code };
    throw error;
  }
}

describe('lease rules (properties)', () => {
  it('grant only on an activated, unrevoked licence of the server’s mode, for one of its products', () => {
    fc.assert(
      fc.property(license, requested, serverMode, (tracked, product, mode) => {
        const { granted } = outcome(tracked, product, mode, now);
        if (!granted) return;
        expect(tracked.status).toBe('activated');
        expect(tracked.trackingMode).toBe(mode);
        expect(productsOf(tracked)).toContain(granted.product);
        if (product !== undefined) expect(granted.product).toBe(product);
        else expect(productsOf(tracked)).toEqual([granted.product]);
      }),
      propertyParameters(),
    );
  });

  it('count exactly the live seats of the product, never an ended term’s, and refuse when none is live', () => {
    fc.assert(
      fc.property(license, requested, serverMode, (tracked, product, mode) => {
        const { granted, refused } = outcome(
          { ...tracked, status: 'activated', trackingMode: mode },
          product,
          mode,
          now,
        );
        const name = granted?.product ?? product;
        const liveOnes = tracked.entitlements.filter((e) => e.product === name && live(e));
        if (refused === 'license-expired') return expect(liveOnes).toEqual([]);
        if (!granted) return expect(['product-required', 'product-not-licensed']).toContain(refused);
        expect(granted.seatsTotal).toBe(liveOnes.reduce((sum, e) => sum + e.seats, 0));
        expect(granted.seatsTotal).toBeGreaterThan(0);
        if (granted.termEndsAt === null) expect(liveOnes.some((e) => e.expiresAt === null)).toBe(true);
        else {
          expect(granted.termEndsAt.getTime()).toBeGreaterThan(now.getTime());
          for (const e of liveOnes)
            expect(Date.parse(e.expiresAt ?? '')).toBeLessThanOrEqual(granted.termEndsAt.getTime());
        }
      }),
      propertyParameters(),
    );
  });

  it('end the n-th seat when fewer than n seats remain, so leases on them never outnumber the seats', () => {
    fc.assert(
      fc.property(license, fc.integer({ min: 0, max: 2 * 365 * 24 * 60 }), (tracked, minutesLater) => {
        const activated = {
          ...tracked,
          status: 'activated' as const,
          trackingMode: 'vendor-hosted' as const,
        };
        const later = now.getTime() + minutesLater * 60_000;
        for (const product of productsOf(tracked)) {
          const { granted } = outcome(activated, product, 'vendor-hosted', now);
          if (!granted) continue;
          const ends = Array.from({ length: granted.seatsTotal }, (_, index) =>
            seatEndsAt(activated, product, index + 1, now),
          );
          expect(ends[0]).toEqual(granted.termEndsAt);
          // Seats still granted later: those whose seat has not ended, exactly as many as the terms give.
          const stillGranted = ends.filter((end) => end === null || end.getTime() > later).length;
          const liveLater = tracked.entitlements
            .filter((e) => e.product === product && (e.expiresAt === null || Date.parse(e.expiresAt) > later))
            .reduce((sum, e) => sum + e.seats, 0);
          expect(stillGranted).toBe(liveLater);
        }
      }),
      propertyParameters(),
    );
  });

  it('run a lease TTL seconds from now, never past the licence’s term', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 * 3600 }),
        fc.option(fc.integer({ min: 1, max: 48 * 3600 }), { nil: null }),
        (ttlSeconds, termSecondsLeft) => {
          const termEndsAt =
            termSecondsLeft === null ? null : new Date(now.getTime() + termSecondsLeft * 1000);
          const expiry = leaseExpiry(now, ttlSeconds, termEndsAt).getTime();
          expect(expiry).toBeGreaterThan(now.getTime());
          expect(expiry).toBeLessThanOrEqual(now.getTime() + ttlSeconds * 1000);
          if (termEndsAt) expect(expiry).toBeLessThanOrEqual(termEndsAt.getTime());
          expect(expiry).toBe(Math.min(now.getTime() + ttlSeconds * 1000, termEndsAt?.getTime() ?? Infinity));
        },
      ),
      propertyParameters(),
    );
  });
});
