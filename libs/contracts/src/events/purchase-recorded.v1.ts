import type { JSONSchemaType } from 'ajv';
import {
  JSON_SCHEMA_DIALECT,
  currency,
  dateTime,
  email,
  eventSchemaId,
  money,
  nullable,
  quantity,
  text,
  uuid,
} from './shared';

export const channels = ['store', 'purchase-order', 'reseller'] as const;
export type Channel = (typeof channels)[number];

export interface Customer {
  email: string;
  name: string;
  company: string | null;
}

/** One purchased line; `purchase.assigned.v1` repeats these as recorded. */
export interface PurchaseItem {
  itemId: string;
  sku: string;
  quantity: number;
  unitPrice: string | null;
}

export interface PurchaseRecordedV1 {
  purchaseId: string;
  channel: Channel;
  /** The channel's own reference: store orderId, PO number or reseller order ref. */
  externalRef: string;
  resellerId: string | null;
  customer: Customer;
  items: PurchaseItem[];
  currency: string | null;
  total: string | null;
  recordedAt: string;
}

export const channel: JSONSchemaType<Channel> = { type: 'string', enum: channels };

export const purchaseItemSchema: JSONSchemaType<PurchaseItem> = {
  type: 'object',
  properties: { itemId: uuid, sku: text, quantity, unitPrice: nullable(money) },
  required: ['itemId', 'sku', 'quantity', 'unitPrice'],
  additionalProperties: false,
};

export const purchaseItemsSchema: JSONSchemaType<PurchaseItem[]> = {
  type: 'array',
  minItems: 1,
  items: purchaseItemSchema,
};

export const purchaseRecordedV1Schema: JSONSchemaType<PurchaseRecordedV1> = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: eventSchemaId('purchase.recorded.v1'),
  title: 'purchase.recorded.v1',
  description:
    'A purchase was durably recorded from one sales channel. Topic purchases.v1, key = purchaseId. ' +
    'Money is a decimal string (up to 4 decimals), never a number.',
  type: 'object',
  properties: {
    purchaseId: uuid,
    channel,
    externalRef: text,
    resellerId: nullable(uuid),
    customer: {
      type: 'object',
      properties: { email, name: text, company: nullable(text) },
      required: ['email', 'name', 'company'],
      additionalProperties: false,
    },
    items: purchaseItemsSchema,
    currency: nullable(currency),
    total: nullable(money),
    recordedAt: dateTime,
  },
  required: [
    'purchaseId',
    'channel',
    'externalRef',
    'resellerId',
    'customer',
    'items',
    'currency',
    'total',
    'recordedAt',
  ],
  additionalProperties: false,
};
