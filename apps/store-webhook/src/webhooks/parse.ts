import Ajv, { type SchemaObject } from 'ajv';
import { isISO8601 } from 'class-validator';
import { MONEY_PATTERN } from '@otl/contracts';
import {
  SKU_PATTERN,
  badRequest,
  invalidFields,
  isCurrencyCode,
  isEmailAddress,
  isPlainText,
  parseJsonBody,
  validateStrict,
} from '@otl/platform';
import type { StoreOrder, StoreRefund } from '../purchases/domain/purchase';
import { OrderCompletedDto, OrderRefundedDto, UTC_TIME } from './store-webhook.dto';

export type StoreWebhookPayload =
  | { kind: 'order'; type: 'order.completed'; order: StoreOrder }
  | { kind: 'refund'; type: 'order.refunded'; refund: StoreRefund }
  | { kind: 'ignored'; type: string };

/**
 * Parses a verified delivery's raw body with the platform's one guarded JSON parser (the limits
 * every service has: depth, sizes, duplicate and prototype keys, NUL, UTF-8); a body that breaks
 * the schema is a 400 naming the field.
 */
export function parseStoreWebhook(raw: Buffer): StoreWebhookPayload {
  const body = parseJsonBody(raw);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('The body must be a JSON object.', [{ field: '', message: 'must be an object' }]);
  }
  const type = (body as { type?: unknown }).type;
  if (typeof type !== 'string' || type.length === 0 || type.length > 200) {
    throw invalidFields([{ field: 'type', message: 'must be a non-empty string (the event type)' }]);
  }
  switch (type) {
    case 'order.completed': {
      // The fast path takes only what OrderCompletedDto takes; anything else, valid or not, goes
      // through class-validator, which gives the answer (and every 400's field errors).
      const data = isValidOrderCompleted(body) ? body.data : validateStrict(OrderCompletedDto, body).data;
      return { kind: 'order', type, order: orderOf(data) };
    }
    case 'order.refunded': {
      const { data } = validateStrict(OrderRefundedDto, body);
      return {
        kind: 'refund',
        type,
        refund: { orderId: data.orderId, refundedAt: data.refundedAt, reason: data.reason ?? null },
      };
    }
    default:
      // Kept for audit and acknowledged, so the store stops retrying.
      return { kind: 'ignored', type };
  }
}

function orderOf(data: OrderCompleted['data']): StoreOrder {
  return {
    orderId: data.orderId,
    completedAt: data.completedAt,
    currency: data.currency,
    customer: {
      email: data.customer.email,
      name: data.customer.name,
      company: data.customer.company ?? null,
    },
    items: data.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
    total: data.total,
  };
}

interface OrderCompleted {
  type: 'order.completed';
  data: {
    orderId: string;
    completedAt: string;
    currency: string;
    customer: { email: string; name: string; company?: string | null };
    items: { sku: string; quantity: number; unitPrice: string }[];
    total: string;
  };
}

/**
 * OrderCompletedDto's shape as a compiled schema, for the hot path (class-transformer and
 * class-validator cost more than the rest of the parsing): fields, types, line counts and the ASCII
 * patterns. The text fields are checked after it by the functions the DTO's decorators call, with
 * lengths in UTF-16 units as class-validator counts them (Ajv counts code points).
 */
const orderCompletedSchema: SchemaObject = {
  type: 'object',
  required: ['type', 'data'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', const: 'order.completed' },
    data: {
      type: 'object',
      required: ['orderId', 'completedAt', 'currency', 'customer', 'items', 'total'],
      additionalProperties: false,
      properties: {
        orderId: { type: 'string' },
        completedAt: { type: 'string', pattern: UTC_TIME.source },
        currency: { type: 'string' },
        customer: {
          type: 'object',
          required: ['email', 'name'],
          additionalProperties: false,
          properties: {
            email: { type: 'string' },
            name: { type: 'string' },
            company: {}, // absent, null or plain text: checked below
          },
        },
        items: {
          type: 'array',
          minItems: 1,
          maxItems: 500,
          items: {
            type: 'object',
            required: ['sku', 'quantity', 'unitPrice'],
            additionalProperties: false,
            properties: {
              sku: { type: 'string', pattern: SKU_PATTERN.source },
              quantity: { type: 'integer', minimum: 1, maximum: 100_000 },
              unitPrice: { type: 'string', pattern: MONEY_PATTERN },
            },
          },
        },
        total: { type: 'string', pattern: MONEY_PATTERN },
      },
    },
  },
};

const matchesOrderCompletedSchema = new Ajv({ strict: true }).compile<OrderCompleted>(orderCompletedSchema);

/** IsPlainText(min, max)'s rule. */
const isPlainTextOf = (value: unknown, min: number, max: number): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= max && isPlainText(value);

/** True only for bodies OrderCompletedDto takes as they are; false says nothing either way. */
export function isValidOrderCompleted(body: unknown): body is OrderCompleted {
  if (!matchesOrderCompletedSchema(body)) return false;
  const { data } = body;
  const { company } = data.customer;
  return (
    isPlainTextOf(data.orderId, 1, 100) &&
    isISO8601(data.completedAt, { strict: true }) &&
    isCurrencyCode(data.currency) &&
    isEmailAddress(data.customer.email) &&
    isPlainTextOf(data.customer.name, 1, 200) &&
    (company === undefined || company === null || isPlainTextOf(company, 1, 200))
  );
}
