import { randomUUID } from 'node:crypto';
import { requireEnv, uniqueName } from '@otl/testing';

/** What a reseller-intake under test needs: its database, the test broker, its own consumer group. */
export function resellerEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    // Other specs' instances on the shared broker must not take this one's partitions.
    RESELLER_CONSUMER_GROUP: uniqueName('reseller-intake-spec'),
    ...extra,
  };
}

/** A valid order with a new resellerOrderRef and customer: two lines, the total their sum. */
export function resellerOrder(): Record<string, unknown> {
  const tag = randomUUID().slice(0, 8);
  return {
    resellerOrderRef: `SPEC-${tag}`,
    customer: { email: `reseller.buyer.${tag}@example.com`, name: 'Ana Lima', company: 'Example Ltd' },
    items: [
      { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
      { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' },
    ],
    currency: 'USD',
    total: '3397.00',
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** A call with the reseller's key (when given) and any other headers; a body goes out as JSON. */
export async function call(
  url: string,
  method: string,
  path: string,
  { key, body, headers = {} }: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    headers: response.headers,
  };
}

/** POST /v1/reseller/orders with a key and an Idempotency-Key (a new one unless given). */
export const placeOrder = (
  url: string,
  key: string,
  body: unknown,
  idempotencyKey: string = randomUUID(),
): Promise<Answer> =>
  call(url, 'POST', '/v1/reseller/orders', { key, body, headers: { 'idempotency-key': idempotencyKey } });
