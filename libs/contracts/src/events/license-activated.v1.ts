import type { JSONSchemaType } from 'ajv';
import { JSON_SCHEMA_DIALECT, dateTime, eventSchemaId, nullable, text, uuid } from './shared';

export const trackingModes = ['vendor-hosted', 'self-hosted'] as const;
export type TrackingMode = (typeof trackingModes)[number];

export interface LicenseActivatedV1 {
  licenseId: string;
  accountId: string;
  trackingMode: TrackingMode;
  /** Set exactly when trackingMode is self-hosted. */
  ltsInstanceId: string | null;
  activatedAt: string;
}

export const licenseActivatedV1Schema: JSONSchemaType<LicenseActivatedV1> = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: eventSchemaId('license.activated.v1'),
  title: 'license.activated.v1',
  description:
    'A licence was activated for vendor-hosted or self-hosted tracking; ltsInstanceId is set exactly ' +
    'for self-hosted. Topic licenses.v1, key = licenseId.',
  type: 'object',
  properties: {
    licenseId: uuid,
    accountId: uuid,
    trackingMode: { type: 'string', enum: trackingModes },
    ltsInstanceId: nullable(text),
    activatedAt: dateTime,
  },
  required: ['licenseId', 'accountId', 'trackingMode', 'ltsInstanceId', 'activatedAt'],
  additionalProperties: false,
  // Phrased from ltsInstanceId's side because JSONSchemaType cannot type a `type: null` branch.
  if: { properties: { ltsInstanceId: { type: 'string' } } },
  then: { properties: { trackingMode: { type: 'string', const: 'self-hosted' } } },
  else: { properties: { trackingMode: { type: 'string', const: 'vendor-hosted' } } },
};
