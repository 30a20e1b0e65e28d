import type { JSONSchemaType } from 'ajv';
import {
  JSON_SCHEMA_DIALECT,
  dateTime,
  eventSchemaId,
  nullable,
  quantity,
  sha256Hex,
  text,
  uuid,
} from './shared';

export interface LicensedItem {
  itemId: string;
  sku: string;
  product: string;
  /** Catalog unit (domain, device, instance, ...); a string because the catalog can grow. */
  unit: string;
  quantity: number;
  /** null for a perpetual term. */
  expiresAt: string | null;
}

export interface LicenseGeneratedV1 {
  licenseId: string;
  accountId: string;
  /** Hex SHA-256 of the licence key; the key itself never appears in an event. */
  licenseKeyHash: string;
  items: LicensedItem[];
  generatedAt: string;
}

export const licenseGeneratedV1Schema: JSONSchemaType<LicenseGeneratedV1> = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: eventSchemaId('license.generated.v1'),
  title: 'license.generated.v1',
  description:
    'A licence was generated for one or more purchased items. Topic licenses.v1, key = licenseId. ' +
    'Carries only the hash of the licence key.',
  type: 'object',
  properties: {
    licenseId: uuid,
    accountId: uuid,
    licenseKeyHash: sha256Hex,
    items: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          itemId: uuid,
          sku: text,
          product: text,
          unit: text,
          quantity,
          expiresAt: nullable(dateTime),
        },
        required: ['itemId', 'sku', 'product', 'unit', 'quantity', 'expiresAt'],
        additionalProperties: false,
      },
    },
    generatedAt: dateTime,
  },
  required: ['licenseId', 'accountId', 'licenseKeyHash', 'items', 'generatedAt'],
  additionalProperties: false,
};
