import type { TrackingMode } from '@otl/contracts';

/** The Nest token of the mode's LeaseStore. */
export const LEASE_STORE = Symbol('LEASE_STORE');

export interface Lease {
  leaseId: string;
  licenseId: string;
  product: string;
  clientId: string;
  acquiredAt: Date;
  expiresAt: Date;
}

export interface AcquireRequest {
  /** Hex SHA-256 of the presented key: stores never see or keep the key itself. */
  licenseKeyHash: string;
  clientId: string;
  product: string | undefined;
  now: Date;
}

export interface ProductUsage {
  product: string;
  unit: string;
  seatsTotal: number;
  seatsInUse: number;
  leases: { leaseId: string; clientId: string; acquiredAt: Date; expiresAt: Date }[];
}

/**
 * Where one mode keeps licences and leases (Postgres when vendor-hosted, SQLite when self-hosted).
 * Every method is exact under concurrency for all instances sharing the storage; a lease whose
 * expiresAt has passed holds no seat, whether or not a sweeper has ended it yet. Failures a client
 * is told about are LeaseErrors.
 */
export interface LeaseStore {
  readonly mode: TrackingMode;
  /** The client's current lease (created: false) or a new one; seats-exhausted when none is free. */
  acquire(request: AcquireRequest): Promise<{ lease: Lease; created: boolean }>;
  /** Extends a live lease by the TTL; lease-gone once it expired, was released or revoked. */
  heartbeat(leaseId: string, now: Date): Promise<Lease>;
  /** Frees the seat at once; releasing an ended lease again is a no-op; lease-not-found if unknown. */
  release(leaseId: string, now: Date): Promise<void>;
  /** Seats and live leases per product of the licence; license-unknown if no such key. */
  usage(licenseKeyHash: string, now: Date): Promise<ProductUsage[]>;
}

/** Lease timing both modes share, from LTS_LEASE_TTL_SECONDS and LTS_HEARTBEAT_SECONDS. */
export interface LeaseTiming {
  leaseTtlSeconds: number;
  heartbeatSeconds: number;
}

export const LEASE_TIMING = Symbol('LEASE_TIMING');
