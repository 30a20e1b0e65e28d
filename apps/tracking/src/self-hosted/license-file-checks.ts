import type { KeyObject } from 'node:crypto';
import type { Entitlement } from '@otl/contracts';
import {
  LICENSE_FILE_FORMAT,
  parseLicenseKey,
  verifyLicenseFile,
  type LicenseFile,
  type LicenseFilePayload,
} from '@otl/licensing';
import { ProblemException, type FieldError } from '@otl/platform';

/**
 * Why a licence file is refused; each is the end of the problem `type`. All are 400s but
 * `license-file-outdated` (409): the file is fine, a newer one for the licence is already loaded.
 */
export type LicenseFileRefusal =
  | 'license-file-malformed'
  | 'license-file-unknown-key'
  | 'license-file-bad-signature'
  | 'license-file-vendor-hosted'
  | 'license-file-wrong-instance'
  | 'license-file-expired'
  | 'license-file-outdated';

const titles: Record<LicenseFileRefusal, string> = {
  'license-file-malformed': 'Not a licence file',
  'license-file-unknown-key': 'Licence file signed by an unknown key',
  'license-file-bad-signature': 'Licence file signature is not valid',
  'license-file-vendor-hosted': 'Licence is tracked by the vendor',
  'license-file-wrong-instance': 'Licence file is bound to another server',
  'license-file-expired': 'Licence has expired',
  'license-file-outdated': 'A newer licence file is loaded',
};

export function refuseFile(
  code: LicenseFileRefusal,
  detail: string,
  extras: Record<string, unknown> = {},
): ProblemException {
  return new ProblemException(
    code === 'license-file-outdated' ? 409 : 400,
    code,
    titles[code],
    detail,
    extras,
  );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const isInstant = (value: unknown): value is string =>
  typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) && Number.isFinite(Date.parse(value));
const isText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= max && /^[\x21-\x7e]+$/.test(value);

function malformed(errors: FieldError[]): ProblemException {
  return refuseFile(
    'license-file-malformed',
    'The body is not a licence file as the customer portal downloads it (license-file/v1).',
    { errors },
  );
}

/** The envelope `{ format, kid, alg, payload, signature }`, or a 400 naming each wrong member. */
function envelopeOf(body: unknown): LicenseFile {
  if (!isObject(body)) throw malformed([{ field: '', message: 'must be a JSON object' }]);
  const errors: FieldError[] = [];
  const expect = (field: string, ok: boolean, message: string) => ok || errors.push({ field, message });
  expect('format', body['format'] === LICENSE_FILE_FORMAT, `must be "${LICENSE_FILE_FORMAT}"`);
  expect('alg', body['alg'] === 'EdDSA', 'must be "EdDSA"');
  expect('kid', isText(body['kid'], 200), 'must name the signing key');
  for (const field of ['payload', 'signature']) {
    const value = body[field];
    expect(field, typeof value === 'string' && BASE64URL.test(value), 'must be base64url');
  }
  for (const field of Object.keys(body)) {
    expect(
      field,
      ['format', 'alg', 'kid', 'payload', 'signature'].includes(field),
      'is not a licence file member',
    );
  }
  if (errors.length > 0) throw malformed(errors);
  return body as unknown as LicenseFile;
}

function entitlementErrors(value: unknown, field: string): FieldError[] {
  if (!isObject(value)) return [{ field, message: 'must be an object' }];
  const errors: FieldError[] = [];
  if (!isText(value['product'], 100))
    errors.push({ field: `${field}.product`, message: 'must be a product' });
  if (!isText(value['unit'], 100)) errors.push({ field: `${field}.unit`, message: 'must be a unit' });
  const seats = value['seats'];
  if (typeof seats !== 'number' || !Number.isSafeInteger(seats) || seats < 1) {
    errors.push({ field: `${field}.seats`, message: 'must be a whole number of seats, at least 1' });
  }
  if (value['expiresAt'] !== null && !isInstant(value['expiresAt'])) {
    errors.push({ field: `${field}.expiresAt`, message: 'must be a date-time or null' });
  }
  return errors;
}

/** The signed payload's members a server relies on, checked even though the vendor signed them. */
function payloadOf(value: unknown): LicenseFilePayload {
  if (!isObject(value)) throw malformed([{ field: 'payload', message: 'must hold a JSON object' }]);
  const errors: FieldError[] = [];
  const expect = (field: string, ok: boolean, message: string) =>
    ok || errors.push({ field: `payload.${field}`, message });
  expect('licenseId', isText(value['licenseId'], 100), 'must be an id');
  expect('accountId', isText(value['accountId'], 100), 'must be an id');
  expect(
    'licenseKey',
    typeof value['licenseKey'] === 'string' && parseLicenseKey(value['licenseKey']) !== undefined,
    'must be a licence key',
  );
  expect(
    'trackingMode',
    value['trackingMode'] === 'self-hosted' || value['trackingMode'] === 'vendor-hosted',
    'must be self-hosted or vendor-hosted',
  );
  expect(
    'ltsInstanceId',
    value['ltsInstanceId'] === null || isText(value['ltsInstanceId'], 200),
    'must be an instance id or null',
  );
  expect('issuedAt', isInstant(value['issuedAt']), 'must be a date-time');
  const entitlements = value['entitlements'];
  if (!Array.isArray(entitlements) || entitlements.length === 0) {
    errors.push({ field: 'payload.entitlements', message: 'must list at least one entitlement' });
  } else {
    entitlements.forEach((entry, index) =>
      errors.push(...entitlementErrors(entry, `payload.entitlements[${index}]`)),
    );
  }
  if (errors.length > 0) throw malformed(errors);
  return value as unknown as LicenseFilePayload;
}

export interface VerifiedLicenseFile {
  kid: string;
  payload: LicenseFilePayload;
  /** The payload bytes as signed, base64url: identifies one file among the licence's renewals. */
  signedPayload: string;
}

/**
 * The checks a self-hosted server makes before it trusts a licence file, in this order: shape,
 * known key, signature, then what the signed payload says (self-hosted, bound to this server, not
 * every entitlement ended). Throws the problem a client is answered with.
 */
export function checkLicenseFile(
  body: unknown,
  keys: ReadonlyMap<string, KeyObject>,
  ltsInstanceId: string,
  now: Date,
): VerifiedLicenseFile {
  const file = envelopeOf(body);
  if (!keys.has(file.kid)) {
    throw refuseFile(
      'license-file-unknown-key',
      `The file is signed with key "${file.kid}", which is not among this server's vendor keys ` +
        `(${[...keys.keys()].join(', ')}). Update the vendor keys file (LTS_VENDOR_KEYS_FILE) if the vendor rotated its key.`,
      { kid: file.kid },
    );
  }
  let signed: unknown;
  try {
    signed = verifyLicenseFile(file, (kid) => keys.get(kid));
  } catch {
    // Verified bytes that are no JSON: the vendor would never sign those, so the file is corrupt.
    throw malformed([{ field: 'payload', message: 'is not JSON' }]);
  }
  if (signed === undefined) {
    throw refuseFile(
      'license-file-bad-signature',
      'The signature does not match the file: it was altered, or not signed by the vendor.',
    );
  }
  const payload = payloadOf(signed);
  if (payload.trackingMode !== 'self-hosted') {
    throw refuseFile(
      'license-file-vendor-hosted',
      'This licence is activated for vendor-hosted tracking: its applications lease from the vendor, not from this server.',
    );
  }
  if (payload.ltsInstanceId !== ltsInstanceId) {
    throw refuseFile(
      'license-file-wrong-instance',
      `The file is bound to License Tracking Server ${payload.ltsInstanceId ?? '(none)'}; this one is ` +
        `${ltsInstanceId}. Activate the licence for this server's id and download its file again.`,
      { fileLtsInstanceId: payload.ltsInstanceId, ltsInstanceId },
    );
  }
  if (!payload.entitlements.some((entitlement) => isLive(entitlement, now))) {
    throw refuseFile('license-file-expired', 'Every entitlement of this licence has ended.', {
      entitlements: payload.entitlements,
    });
  }
  return { kid: file.kid, payload, signedPayload: file.payload };
}

export function isLive(entitlement: Entitlement, now: Date): boolean {
  return entitlement.expiresAt === null || Date.parse(entitlement.expiresAt) > now.getTime();
}
