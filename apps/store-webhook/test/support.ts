import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { assertValidEvent, parseCloudEvent, topics, type PublicCloudEvent } from '@otl/contracts';
import { requireEnv, signStoreWebhook, type ReceivedRecord } from '@otl/testing';

export const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
export const newOrderId = () => `ST-${randomUUID().slice(0, 13)}`;

export function serviceEnv(databaseUrl: string, secrets: string[], extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    STORE_WEBHOOK_SECRET: secrets.join(','),
    ...extra,
  };
}

export async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${url}/v1/webhooks/store`, { method: 'POST', headers, body });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}

export function deliver(
  url: string,
  secret: string,
  payload: unknown,
  options: { id?: string; timestamp?: number } = {},
) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return post(url, body, signStoreWebhook(secret, body, options));
}

/** Purchase events for one purchase as read off Kafka, each held to the contract's schema. */
export function purchaseEvents(records: ReceivedRecord[], purchaseId: string): PublicCloudEvent[] {
  return records
    .filter((record) => record.topic === topics.purchases && record.key === purchaseId)
    .map((record) => {
      const event = parseCloudEvent(record.value);
      assertValidEvent(event);
      return event;
    });
}

/** Row counts of everything the service stores, to prove a rejected request stored nothing. */
export async function storedCounts(databaseUrl: string): Promise<{ events: number; deliveries: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ events: string; deliveries: string }>(
      `SELECT (SELECT count(*) FROM es_events) AS events, (SELECT count(*) FROM store_webhook_deliveries) AS deliveries`,
    );
    return { events: Number(rows[0]!.events), deliveries: Number(rows[0]!.deliveries) };
  } finally {
    await client.end();
  }
}

export async function queryRows<R>(databaseUrl: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as R[];
  } finally {
    await client.end();
  }
}

export async function queryOne<R>(databaseUrl: string, text: string, params: unknown[] = []): Promise<R> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows[0] as R;
  } finally {
    await client.end();
  }
}
