import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { assertValidEvent, parseCloudEvent, topics, type PublicCloudEvent } from '@otl/contracts';
import { requireEnv, uniqueName, type ReceivedRecord } from '@otl/testing';

export { Store, newSigningKey } from '@otl/testing';

export const PORTAL_URL = 'https://portal.example.test';

/** A fresh address (lower-case domain: the SMTP path keeps the local part's case, not the domain's). */
export const newEmail = (label: string) => `${label}.${randomUUID().slice(0, 8)}@example.com`;
export const PASSWORD = 'correct horse battery staple';

export function accountEnv(databaseUrl: string, signingKey: string, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    SMTP_URL: requireEnv('SMTP_URL'),
    ACCESS_TOKEN_SIGNING_KEY: signingKey,
    PORTAL_URL,
    PURCHASES_CONSUMER_GROUP: uniqueName('account-purchases'),
    ...extra,
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** Calls the account API as the portal would. */
export class AccountApi {
  constructor(readonly url: string) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    // Each request comes from its own client address (the service trusts X-Forwarded-For in these
    // specs), so per-client limits only bite where a spec sends one address on purpose.
    const client = { 'x-forwarded-for': `198.51.100.${1 + Math.floor(Math.random() * 254)}` };
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...client,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: response.headers,
    };
  }

  register(email: string, password = PASSWORD, name = 'Test Buyer') {
    return this.request('POST', '/v1/accounts', { email, password, name });
  }

  verify(token: string) {
    return this.request('POST', '/v1/accounts/verification', { token });
  }

  signIn(email: string, password = PASSWORD) {
    return this.request('POST', '/v1/auth/token', { email, password });
  }

  requestReset(email: string) {
    return this.request('POST', '/v1/auth/password-reset', { email });
  }

  setPassword(token: string, password = PASSWORD) {
    return this.request('POST', '/v1/auth/password-reset/confirm', { token, password });
  }

  me(accessToken: string) {
    return this.request('GET', '/v1/me', undefined, { authorization: `Bearer ${accessToken}` });
  }
}

/** Events on accounts.v1 as read off Kafka, each held to the contract's schema. */
export function accountEvents(records: readonly ReceivedRecord[]): PublicCloudEvent[] {
  return records
    .filter((record) => record.topic === topics.accounts)
    .map((record) => {
      const event = parseCloudEvent(record.value);
      assertValidEvent(event);
      return event;
    });
}

export const createdFor = (events: PublicCloudEvent[], email: string) =>
  events.filter(
    (event): event is PublicCloudEvent<'account.created.v1'> =>
      event.type === 'account.created.v1' && event.data.email.toLowerCase() === email.toLowerCase(),
  );

export const assignmentsOf = (events: PublicCloudEvent[], purchaseId: string) =>
  events.filter(
    (event): event is PublicCloudEvent<'purchase.assigned.v1'> =>
      event.type === 'purchase.assigned.v1' && event.data.purchaseId === purchaseId,
  );

/** Row counts of what the service stores, to prove a rejected request stored nothing. */
export async function storedCounts(databaseUrl: string): Promise<{ events: number; mails: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ events: string; mails: string }>(
      `SELECT (SELECT count(*) FROM es_events) AS events, (SELECT count(*) FROM account_mail_outbox) AS mails`,
    );
    const row = rows[0];
    if (!row) throw new Error('no counts');
    return { events: Number(row.events), mails: Number(row.mails) };
  } finally {
    await client.end();
  }
}
