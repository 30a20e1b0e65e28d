import { badRequest, invalidFields, parseJsonBody, validateStrict } from '@otl/platform';
import type { StoreOrder, StoreRefund } from '../purchases/domain/purchase';
import { OrderCompletedDto, OrderRefundedDto } from './store-webhook.dto';

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
      const { data } = validateStrict(OrderCompletedDto, body);
      return {
        kind: 'order',
        type,
        order: {
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
        },
      };
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
