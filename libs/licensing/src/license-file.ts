import { sign, verify, type KeyObject } from 'node:crypto';
import type { Entitlement, TrackingMode } from '@otl/contracts';

export const LICENSE_FILE_FORMAT = 'license-file/v1';

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
