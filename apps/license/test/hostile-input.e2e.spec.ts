import { randomUUID } from 'node:crypto';
import {
  HOSTILE_CASES,
  MailCatcher,
  Store,
  createTestDatabase,
  describeHostileInput,
  eventually,
  mailedLink,
  newSigningKey,
  requireEnv,
  startService,
  uniqueName,
  type HostileTarget,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';

const PASSWORD = 'correct horse battery staple';

async function call(url: string, path: string, body: unknown, token?: string) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

describe('license under hostile input (running services, real Postgres and Kafka)', () => {
  const mail = new MailCatcher();
  let dbs: TestDatabase[] = [];
  let store: Store;
  let account: RunningService;
  let license: RunningService;
  let token: string;
  let licenseId: string;
  /** Items still available: each good generate request after a case licenses one. */
  let available: string[] = [];

  beforeAll(async () => {
    const [accountDb, licenseDb] = await Promise.all([
      createTestDatabase('license_hostile_account'),
      createTestDatabase('license_hostile'),
    ]);
    dbs = [accountDb, licenseDb];
    store = await Store.start();
    account = await startService('account', {
      DATABASE_URL: accountDb.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      SMTP_URL: requireEnv('SMTP_URL'),
      ACCESS_TOKEN_SIGNING_KEY: newSigningKey(),
      PURCHASES_CONSUMER_GROUP: uniqueName('license-hostile-account'),
    });
    license = await startService('license', {
      DATABASE_URL: licenseDb.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      LICENSE_SIGNING_KEY: newSigningKey(),
      ACCESS_TOKEN_JWKS_URL: `${account.url}/.well-known/jwks.json`,
      LICENSE_CONSUMER_GROUP: uniqueName('license-hostile'),
    });

    // One buyer with enough items for a licence per case and target, plus the one activated below.
    const email = `hostile.${randomUUID().slice(0, 8)}@example.com`;
    const count = HOSTILE_CASES.length + 2;
    const items = Array.from({ length: count }, () => ({
      sku: 'BARCODE-JS-DEVICE-1Y',
      quantity: 1,
      unitPrice: '1249.00',
    }));
    const purchaseId = await store.order(email, 'Hostile Buyer', items);
    const [mailed] = await mail.waitFor(email, 1, 60_000); // after the backlog other specs left on the broker
    const { token: setPassword } = mailedLink(mailed!, '/set-password');
    expect(
      (await call(account.url, '/v1/auth/password-reset/confirm', { token: setPassword, password: PASSWORD }))
        .status,
    ).toBe(204);
    token = (await call(account.url, '/v1/auth/token', { email, password: PASSWORD })).body
      .accessToken as string;
    available = await eventually(
      async () => {
        const response = await fetch(`${license.url}/v1/license-items`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const mine = (
          (await response.json()) as { itemId: string; purchaseId: string; status: string }[]
        ).filter((item) => item.purchaseId === purchaseId && item.status === 'available');
        return mine.length === count ? mine.map((item) => item.itemId) : undefined;
      },
      { what: `${count} items of ${purchaseId}`, timeoutMs: 40_000 },
    );
    const generated = await call(license.url, '/v1/licenses', { itemIds: [available.pop()] }, token);
    expect(generated.status).toBe(201);
    licenseId = generated.body.licenseId as string;
    expect((await call(license.url, `/v1/licenses/${licenseId}/activation`, ACTIVATION, token)).status).toBe(
      200,
    );
  }, 180_000);

  afterAll(async () => {
    await license?.stop();
    await account?.stop();
    await store?.stop();
    await Promise.all(dbs.map((db) => db.drop()));
  });

  const ACTIVATION = { trackingMode: 'self-hosted', ltsInstanceId: 'lts-plant-7' };
  const authorised = () => ({ authorization: `Bearer ${token}` });
  const targets: HostileTarget[] = [
    {
      name: 'POST /v1/licenses',
      path: '/v1/licenses',
      valid: () => ({ itemIds: [randomUUID()] }),
      field: 'itemIds',
      textField: 'itemIds.0',
      headers: authorised,
      good: async () => {
        const answer = await call(license.url, '/v1/licenses', { itemIds: [available.pop()] }, token);
        expect(answer.status).toBe(201);
      },
    },
    {
      name: 'POST /v1/licenses/{id}/activation',
      get path() {
        return `/v1/licenses/${licenseId}/activation`;
      },
      valid: () => ({ ...ACTIVATION }),
      field: 'ltsInstanceId',
      textField: 'ltsInstanceId',
      headers: authorised,
      // The same activation again: the endpoint's normal no-op answer.
      good: async () => {
        const answer = await call(license.url, `/v1/licenses/${licenseId}/activation`, ACTIVATION, token);
        expect([answer.status, answer.body.status]).toEqual([200, 'activated']);
      },
    },
  ];

  describeHostileInput({ url: () => license.url, databaseUrl: () => dbs[1]!.url, targets });

  it('never answered 5xx and logged no unhandled error', () => {
    expect(license.output()).not.toMatch(/unhandled error|"level":50/);
  });
});
