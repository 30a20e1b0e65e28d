import { randomUUID } from 'node:crypto';
import { callJson, requireEnv, type JsonAnswer } from '@otl/testing';

export const newRef = () => `R-${randomUUID().slice(0, 12)}`;
export const newBuyer = () => `reseller.buyer.${randomUUID().slice(0, 8)}@example.com`;

/** An order as a reseller's system sends it: two lines, the total their sum. */
export function order(overrides: { resellerOrderRef?: string; email?: string } = {}) {
  return {
    resellerOrderRef: overrides.resellerOrderRef ?? newRef(),
    customer: { email: overrides.email ?? newBuyer(), name: 'Rita Reseller-Buyer', company: 'Buyer Pty' },
    items: [
      { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
      { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' },
    ],
    currency: 'USD',
    total: '3397.00',
  };
}

/** The settings of one reseller-intake instance on a spec's database. */
export function serviceEnv(databaseUrl: string, consumerGroup: string, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    RESELLER_CONSUMER_GROUP: consumerGroup,
    RESELLER_RATE_LIMIT: '10000/1',
    NODE_ENV: 'test',
    ...extra,
  };
}

/** A call with the reseller's API key and, for orders, an Idempotency-Key. */
export const resellerCall = (
  url: string,
  method: 'GET' | 'POST',
  path: string,
  key: string,
  options: { body?: unknown; idempotencyKey?: string } = {},
): Promise<JsonAnswer> =>
  callJson(
    url,
    method,
    path,
    key,
    options.body,
    options.idempotencyKey === undefined ? {} : { 'idempotency-key': options.idempotencyKey },
  );

export const place = (url: string, key: string, body: unknown, idempotencyKey: string = randomUUID()) =>
  resellerCall(url, 'POST', '/v1/reseller/orders', key, { body, idempotencyKey });
