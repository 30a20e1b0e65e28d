import type { JSONSchemaType } from 'ajv';
import { channel, purchaseItemsSchema, type Channel, type PurchaseItem } from './purchase-recorded.v1';
import { JSON_SCHEMA_DIALECT, dateTime, eventSchemaId, text, uuid } from './shared';

export interface PurchaseAssignedV1 {
  purchaseId: string;
  accountId: string;
  channel: Channel;
  externalRef: string;
  items: PurchaseItem[];
  assignedAt: string;
}

export const purchaseAssignedV1Schema: JSONSchemaType<PurchaseAssignedV1> = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: eventSchemaId('purchase.assigned.v1'),
  title: 'purchase.assigned.v1',
  description:
    "A purchase was assigned to the buyer's account; items as recorded. Topic accounts.v1, key = accountId.",
  type: 'object',
  properties: {
    purchaseId: uuid,
    accountId: uuid,
    channel,
    externalRef: text,
    items: purchaseItemsSchema,
    assignedAt: dateTime,
  },
  required: ['purchaseId', 'accountId', 'channel', 'externalRef', 'items', 'assignedAt'],
  additionalProperties: false,
};
