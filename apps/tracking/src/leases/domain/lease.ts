import type { Entitlement, TrackingMode } from '@otl/contracts';

/**
 * What a License Tracking Server knows of a licence, in either mode, and the pure rules that say
 * whether a lease may be granted on it. Seat counting itself happens where the leases are stored,
 * under that store's lock, because only there is it exact.
 */
export interface TrackedLicense {
  licenseId: string;
  accountId: string;
  status: 'generated' | 'activated' | 'revoked';
  trackingMode: TrackingMode | null;
  ltsInstanceId: string | null;
  entitlements: Entitlement[];
}

export type LeaseErrorCode =
  | 'license-unknown'
  | 'product-required'
  | 'product-not-licensed'
  | 'seats-exhausted'
  | 'license-revoked'
  | 'license-expired'
  | 'license-not-activated'
  | 'wrong-tracking-mode'
  | 'lease-not-found'
  | 'lease-gone';

export class LeaseError extends Error {
  constructor(
    readonly code: LeaseErrorCode,
    message: string,
    /** Extension members of the problem answer (say, the licence's products). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'LeaseError';
  }
}

/** The product a lease is for and what the licence grants of it right now. */
export interface Leasable {
  product: string;
  unit: string;
  seatsTotal: number;
  /** The last moment any live entitlement of the product runs to; null when perpetual. */
  termEndsAt: Date | null;
}

export function productsOf(license: TrackedLicense): string[] {
  return [...new Set(license.entitlements.map((entitlement) => entitlement.product))].sort();
}

/**
 * Whether `license` may lease `requested` (or its only product) on a server of `serverMode` at
 * `now`; throws the LeaseError a client is answered with otherwise.
 */
export function leasable(
  license: TrackedLicense,
  requested: string | undefined,
  serverMode: TrackingMode,
  now: Date,
): Leasable {
  if (license.status === 'revoked') throw new LeaseError('license-revoked', 'This licence was revoked.');
  if (license.status !== 'activated' || license.trackingMode === null) {
    throw new LeaseError(
      'license-not-activated',
      'This licence is not activated yet; activate it in the customer portal first.',
    );
  }
  if (license.trackingMode !== serverMode) {
    throw new LeaseError(
      'wrong-tracking-mode',
      `This licence is activated for ${license.trackingMode} tracking; this License Tracking Server is ${serverMode}.`,
      { trackingMode: license.trackingMode },
    );
  }
  const products = productsOf(license);
  const product = requested ?? (products.length === 1 ? products[0] : undefined);
  if (product === undefined) {
    throw new LeaseError(
      'product-required',
      `This licence covers several products; name one of ${products.join(', ')}.`,
      { products },
    );
  }
  if (!products.includes(product)) {
    throw new LeaseError(
      'product-not-licensed',
      `This licence does not cover ${product}; it covers ${products.join(', ')}.`,
      { products },
    );
  }
  const live = license.entitlements.filter(
    (entitlement) =>
      entitlement.product === product &&
      (entitlement.expiresAt === null || Date.parse(entitlement.expiresAt) > now.getTime()),
  );
  const first = live[0];
  if (!first) {
    throw new LeaseError('license-expired', `This licence's term for ${product} has ended.`, { product });
  }
  const ends = live.map((entitlement) => entitlement.expiresAt);
  return {
    product,
    unit: first.unit,
    seatsTotal: live.reduce((sum, entitlement) => sum + entitlement.seats, 0),
    termEndsAt: ends.includes(null) ? null : new Date(Math.max(...ends.map((end) => Date.parse(end ?? '')))),
  };
}

/**
 * When the `seat`-th seat of `product` (1-based: the live leases plus this one, in order of
 * acquisition) stops being granted. Seats run out shortest term first, so the n-th seat lasts as
 * long as n seats remain. A lease on that seat never runs past it, which keeps the live leases
 * within the seats granted at every moment, also once a shorter term beside a longer one ends.
 */
export function seatEndsAt(license: TrackedLicense, product: string, seat: number, now: Date): Date | null {
  const live = license.entitlements
    .filter(
      (entitlement) =>
        entitlement.product === product &&
        (entitlement.expiresAt === null || Date.parse(entitlement.expiresAt) > now.getTime()),
    )
    .map((entitlement) => ({
      seats: entitlement.seats,
      ends: entitlement.expiresAt === null ? Infinity : Date.parse(entitlement.expiresAt),
    }))
    .sort((a, b) => b.ends - a.ends);
  let counted = 0;
  for (const { seats, ends } of live) {
    counted += seats;
    if (counted >= seat) return ends === Infinity ? null : new Date(ends);
  }
  throw new Error(`seat ${seat} of ${product} is not granted (${counted} live seats)`);
}

/** A lease runs TTL seconds from now (acquisition or heartbeat), never past the licence's term. */
export function leaseExpiry(now: Date, ttlSeconds: number, termEndsAt: Date | null): Date {
  const byTtl = now.getTime() + ttlSeconds * 1000;
  return new Date(termEndsAt === null ? byTtl : Math.min(byTtl, termEndsAt.getTime()));
}
