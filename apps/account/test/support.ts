import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
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

  refresh(refreshToken: string, headers: Record<string, string> = {}) {
    return this.request('POST', '/v1/auth/token/refresh', { refreshToken }, headers);
  }

  logout(refreshToken: string) {
    return this.request('POST', '/v1/auth/logout', { refreshToken });
  }
}

const ROOT = resolve(__dirname, '..', '..', '..');

/** `npm run account:create-staff -- …` as built (dist/), against the spec's database. */
export function createStaff(databaseUrl: string, ...args: string[]) {
  return spawnSync(
    process.execPath,
    [
      '-r',
      './tools/runtime/register-aliases.cjs',
      'dist/out-tsc/apps/account/src/staff/create-staff.js',
      ...args,
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, PORTAL_URL },
    },
  );
}

/** The claims of a JWT, unverified (the spec checks what the service put in). */
export const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

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

/**
 * What the service has committed about an address: its created accounts, the purchases assigned to
 * them and the mails queued to it. A purchase's assignment commits all of it in one transaction, so
 * once the assignment is seen this is final; unlike a mailbox or a topic, nothing is still on its way.
 */
export async function storedFor(
  databaseUrl: string,
  email: string,
): Promise<{ accounts: number; assigned: string[]; mails: string[] }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const created = await client.query<{ account_id: string }>(
      `SELECT data->>'accountId' AS account_id FROM es_events
       WHERE type = 'account.created.v1' AND lower(data->>'email') = lower($1)`,
      [email],
    );
    const assigned = await client.query<{ purchase_id: string }>(
      `SELECT data->>'purchaseId' AS purchase_id FROM es_events
       WHERE type = 'purchase.assigned.v1' AND data->>'accountId' = ANY($1::text[]) ORDER BY global_position`,
      [created.rows.map((row) => row.account_id)],
    );
    const mails = await client.query<{ template: string }>(
      'SELECT template FROM account_mail_outbox WHERE lower(recipient) = lower($1) ORDER BY created_at, template',
      [email],
    );
    return {
      accounts: created.rows.length,
      assigned: assigned.rows.map((row) => row.purchase_id),
      mails: mails.rows.map((row) => row.template),
    };
  } finally {
    await client.end();
  }
}
