import { createHmac, randomUUID } from 'node:crypto';

/** Signs a body the way the store does (Standard Webhooks), for tests and benchmarks. */
export function signStoreWebhook(
  secret: string,
  body: string | Buffer,
  {
    id = `msg_${randomUUID()}`,
    timestamp = Math.floor(Date.now() / 1000),
  }: { id?: string; timestamp?: number } = {},
): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  // Over the raw bytes, so that bodies that are not UTF-8 can be signed too.
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  };
}

export function storeOrder(orderId: string, overrides: Record<string, unknown> = {}) {
  return {
    type: 'order.completed',
    data: {
      orderId,
      completedAt: '2026-11-27T10:00:00Z',
      currency: 'USD',
      customer: { email: 'Ana.Lima@Example.com', name: 'Ana Lima', company: 'Example Ltd' },
      items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' }],
      total: '2498.00',
      ...overrides,
    },
  };
}

export function storeRefund(orderId: string, reason: string | null = 'customer request') {
  return { type: 'order.refunded', data: { orderId, refundedAt: '2026-11-28T09:00:00Z', reason } };
}
