import type { JSONSchemaType } from 'ajv';
import { JSON_SCHEMA_DIALECT, dateTime, eventSchemaId, text, uuid } from './shared';

export interface LicenseRevokedV1 {
  licenseId: string;
  accountId: string;
  reason: string;
  revokedAt: string;
}

export const licenseRevokedV1Schema: JSONSchemaType<LicenseRevokedV1> = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: eventSchemaId('license.revoked.v1'),
  title: 'license.revoked.v1',
  description: 'A licence was revoked (e.g. its purchase was refunded). Topic licenses.v1, key = licenseId.',
  type: 'object',
  properties: { licenseId: uuid, accountId: uuid, reason: text, revokedAt: dateTime },
  required: ['licenseId', 'accountId', 'reason', 'revokedAt'],
  additionalProperties: false,
};
