import type { JSONSchemaType } from 'ajv';
import { channel, type Channel } from './purchase-recorded.v1';
import { JSON_SCHEMA_DIALECT, dateTime, eventSchemaId, nullable, text, uuid } from './shared';

export interface PurchaseRefundedV1 {
  purchaseId: string;
  channel: Channel;
  externalRef: string;
  refundedAt: string;
  reason: string | null;
}

export const purchaseRefundedV1Schema: JSONSchemaType<PurchaseRefundedV1> = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: eventSchemaId('purchase.refunded.v1'),
  title: 'purchase.refunded.v1',
  description: 'A recorded purchase was refunded. Topic purchases.v1, key = purchaseId.',
  type: 'object',
  properties: { purchaseId: uuid, channel, externalRef: text, refundedAt: dateTime, reason: nullable(text) },
  required: ['purchaseId', 'channel', 'externalRef', 'refundedAt', 'reason'],
  additionalProperties: false,
};
