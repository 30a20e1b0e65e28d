import { sign, verify, type KeyObject } from 'node:crypto';
import type { LicensedItem, TrackingMode } from '@otl/contracts';
import type { Term } from '../catalog/domain/catalog-entry';

export const LICENSE_FILE_FORMAT = 'license-file/v1';

export interface Entitlement {
  product: string;
  unit: string;
  seats: number;
  expiresAt: string | null;
}

export interface LicenseFilePayload {
  licenseId: string;
  licenseKey: string;
  accountId: string;
  trackingMode: TrackingMode;
  ltsInstanceId: string | null;
  trackingUrl: string | null;
  entitlements: Entitlement[];
  issuedAt: string;
}

export interface LicenseFile {
  format: typeof LICENSE_FILE_FORMAT;
  kid: string;
  alg: 'EdDSA';
  /** base64url of the payload's UTF-8 JSON. */
  payload: string;
  /** base64url Ed25519 signature over the payload's bytes (not over the base64 text). */
  signature: string;
}

/** An item of a licence with what the catalog said about it. */
export interface EntitledItem extends LicensedItem {
  term: Term;
  seatsPerQuantity: number;
}

/** Adds a year in UTC (29 February runs to 1 March). */
export function oneYearAfter(at: Date): Date {
  const end = new Date(at.getTime());
  end.setUTCFullYear(end.getUTCFullYear() + 1);
  return end;
}

/**
 * Entitlements per product and unit: seats = quantity × seats per quantity, summed over the
 * licence's items of that product with the same expiry. A one-year term runs from activation.
 */
export function entitlementsOf(items: readonly EntitledItem[], activatedAt: Date): Entitlement[] {
  const grouped = new Map<string, Entitlement>();
  for (const item of items) {
    const expiresAt = item.term === 'perpetual' ? null : oneYearAfter(activatedAt).toISOString();
    const key = JSON.stringify([item.product, item.unit, expiresAt]);
    const entry = grouped.get(key) ?? { product: item.product, unit: item.unit, seats: 0, expiresAt };
    entry.seats += item.quantity * item.seatsPerQuantity;
    grouped.set(key, entry);
  }
  return [...grouped.values()].sort(
    (a, b) => a.product.localeCompare(b.product) || a.unit.localeCompare(b.unit),
  );
}

/** Ed25519 (RFC 8032, pure EdDSA) over exactly these bytes, by node:crypto: no hand-rolled primitive. */
export function signBytes(bytes: Buffer, privateKey: KeyObject): Buffer {
  return sign(null, bytes, privateKey);
}

/** Signs the payload's UTF-8 JSON bytes. */
export function signLicenseFile(
  payload: LicenseFilePayload,
  key: { kid: string; privateKey: KeyObject },
): LicenseFile {
  const bytes = Buffer.from(JSON.stringify(payload), 'utf8');
  return {
    format: LICENSE_FILE_FORMAT,
    kid: key.kid,
    alg: 'EdDSA',
    payload: bytes.toString('base64url'),
    signature: signBytes(bytes, key.privateKey).toString('base64url'),
  };
}

/** The payload of a file whose signature holds under the key its kid names; undefined otherwise. */
export function verifyLicenseFile(
  file: LicenseFile,
  keyOf: (kid: string) => KeyObject | undefined,
): LicenseFilePayload | undefined {
  if (file.format !== LICENSE_FILE_FORMAT || file.alg !== 'EdDSA') return undefined;
  const key = keyOf(file.kid);
  if (!key) return undefined;
  const bytes = Buffer.from(file.payload, 'base64url');
  if (!verify(null, bytes, key, Buffer.from(file.signature, 'base64url'))) return undefined;
  return JSON.parse(bytes.toString('utf8')) as LicenseFilePayload;
}
