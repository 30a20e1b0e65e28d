import type { JSONSchemaType } from 'ajv';
import { JSON_SCHEMA_DIALECT, count, dateTime, eventSchemaId, text, uuid } from './shared';

export const usageActions = ['lease.acquired', 'lease.released', 'lease.expired', 'lease.denied'] as const;
export type UsageAction = (typeof usageActions)[number];

export interface UsageRecordedV1 {
  licenseId: string;
  accountId: string;
  product: string;
  action: UsageAction;
  /** Seats held after the action. */
  seatsInUse: number;
  seatsTotal: number;
  at: string;
}

export const usageRecordedV1Schema: JSONSchemaType<UsageRecordedV1> = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: eventSchemaId('usage.recorded.v1'),
  title: 'usage.recorded.v1',
  description:
    'A vendor-hosted License Tracking Server saw a lease change for one product of a licence. ' +
    'Topic usage.v1, key = licenseId.',
  type: 'object',
  properties: {
    licenseId: uuid,
    accountId: uuid,
    product: text,
    action: { type: 'string', enum: usageActions },
    seatsInUse: count,
    seatsTotal: count,
    at: dateTime,
  },
  required: ['licenseId', 'accountId', 'product', 'action', 'seatsInUse', 'seatsTotal', 'at'],
  additionalProperties: false,
};
