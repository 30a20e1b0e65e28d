import type { JSONSchemaType } from 'ajv';
import { JSON_SCHEMA_DIALECT, dateTime, email, eventSchemaId, nullable, text, uuid } from './shared';

export const accountOrigins = ['registration', 'purchase'] as const;
export type AccountOrigin = (typeof accountOrigins)[number];

export interface AccountCreatedV1 {
  accountId: string;
  email: string;
  name: string | null;
  company: string | null;
  origin: AccountOrigin;
  createdAt: string;
}

export const accountCreatedV1Schema: JSONSchemaType<AccountCreatedV1> = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: eventSchemaId('account.created.v1'),
  title: 'account.created.v1',
  description:
    'An account was created, by registration or for the buyer of a purchase. Topic accounts.v1, key = accountId.',
  type: 'object',
  properties: {
    accountId: uuid,
    email,
    name: nullable(text),
    company: nullable(text),
    origin: { type: 'string', enum: accountOrigins },
    createdAt: dateTime,
  },
  required: ['accountId', 'email', 'name', 'company', 'origin', 'createdAt'],
  additionalProperties: false,
};
