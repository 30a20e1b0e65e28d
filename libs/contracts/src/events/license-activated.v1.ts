import type { JSONSchemaType } from 'ajv';
import { JSON_SCHEMA_DIALECT, count, dateTime, eventSchemaId, nullable, text, uuid } from './shared';

export const trackingModes = ['vendor-hosted', 'self-hosted'] as const;
export type TrackingMode = (typeof trackingModes)[number];

/** Seats of one product granted by a licence, as its licence file lists them. */
export interface Entitlement {
  product: string;
  unit: string;
  /** Seats (clients counted in `unit`) that may hold a lease at once. */
  seats: number;
  /** End of the term, fixed at activation; null for a perpetual licence. */
  expiresAt: string | null;
}

export interface LicenseActivatedV1 {
  licenseId: string;
  accountId: string;
  trackingMode: TrackingMode;
  /** Set exactly when trackingMode is self-hosted. */
  ltsInstanceId: string | null;
  /** The licence file's entitlements, one per product, unit and expiry. */
  entitlements: Entitlement[];
  activatedAt: string;
}

export const licenseActivatedV1Schema: JSONSchemaType<LicenseActivatedV1> = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: eventSchemaId('license.activated.v1'),
  title: 'license.activated.v1',
  description:
    'A licence was activated for vendor-hosted or self-hosted tracking; ltsInstanceId is set exactly ' +
    "for self-hosted. entitlements are the licence file's, with expiresAt fixed at activation. " +
    'Topic licenses.v1, key = licenseId.',
  type: 'object',
  properties: {
    licenseId: uuid,
    accountId: uuid,
    trackingMode: { type: 'string', enum: trackingModes },
    ltsInstanceId: nullable(text),
    entitlements: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          product: text,
          unit: text,
          seats: { ...count, minimum: 1 },
          expiresAt: nullable(dateTime),
        },
        required: ['product', 'unit', 'seats', 'expiresAt'],
        additionalProperties: false,
      },
    },
    activatedAt: dateTime,
  },
  required: ['licenseId', 'accountId', 'trackingMode', 'ltsInstanceId', 'entitlements', 'activatedAt'],
  additionalProperties: false,
  // Phrased from ltsInstanceId's side because JSONSchemaType cannot type a `type: null` branch.
  if: { properties: { ltsInstanceId: { type: 'string' } } },
  then: { properties: { trackingMode: { type: 'string', const: 'self-hosted' } } },
  else: { properties: { trackingMode: { type: 'string', const: 'vendor-hosted' } } },
};
