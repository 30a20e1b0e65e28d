import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import {
  assertValidEvent,
  parseCloudEvent,
  topics,
  validateEventData,
  type UsageRecordedV1,
} from '@otl/contracts';
import { newLicenseKey } from '@otl/licensing';
import { LtsClient, type RenewedEvent } from '@otl/lts-client';
import {
  MailCatcher,
  Store,
  TopicRecorder,
  createTestDatabase,
  delay,
  eventually,
  expectServiceSurface,
  mailedLink,
  newSigningKey,
  requireEnv,
  startService,
  testKafka,
  uniqueName,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';
import { feedLicense, licenseProducer, revokeLicense, type FeedOptions } from './hosted-support';

const PASSWORD = 'correct horse battery staple';
const JS = { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' };
const TWAIN = { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' };
const SERVER = { sku: 'BARCODE-SERVER-INSTANCE-PERP', quantity: 3, unitPrice: '4999.00' };
const RATE_LIMIT = 400;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

let addresses = 0;
/** A client address of its own (the instances trust X-Forwarded-For), so specs do not share a rate limit. */
const newAddress = () =>
  `10.${Math.floor(addresses / 65536) % 256}.${Math.floor(addresses / 256) % 256}.${addresses++ % 256}`;

async function call(
  url: string,
  method: string,
  path: string,
  { token, body, address = newAddress() }: { token?: string; body?: unknown; address?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'x-forwarded-for': address };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

/** The vendor-hosted LTS among the services it lives with: real Kafka, Postgres, account and license. */
describe('tracking, vendor-hosted (running services, real Postgres and Kafka)', () => {
  const mail = new MailCatcher();
  let dbs: TestDatabase[] = [];
  let store: Store;
  let account: RunningService;
  let license: RunningService;
  /** Two instances with the default TTL and one with a 4 s lease TTL (heartbeat 1 s, so a loaded machine's late beat still lands), all on one database. */
  let lts: RunningService;
  let second: RunningService;
  let shortLived: RunningService;
  let recorder: TopicRecorder;
  let producer: Producer;
  let trackingDb: TestDatabase;
  const keysUsed: string[] = [];

  beforeAll(async () => {
    const [accountDb, licenseDb, tracking] = await Promise.all([
      createTestDatabase('tracking_e2e_account'),
      createTestDatabase('tracking_e2e_license'),
      createTestDatabase('tracking_e2e'),
    ]);
    trackingDb = tracking;
    dbs = [accountDb, licenseDb, tracking];
    recorder = await new TopicRecorder(testKafka('tracking-e2e'), [topics.usage]).start();
    store = await Store.start();
    account = await startService('account', {
      DATABASE_URL: accountDb.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      SMTP_URL: requireEnv('SMTP_URL'),
      ACCESS_TOKEN_SIGNING_KEY: newSigningKey(),
      PURCHASES_CONSUMER_GROUP: uniqueName('tracking-e2e-account'),
    });
    license = await startService('license', {
      DATABASE_URL: licenseDb.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      LICENSE_SIGNING_KEY: newSigningKey(),
      ACCESS_TOKEN_JWKS_URL: `${account.url}/.well-known/jwks.json`,
      LICENSE_CONSUMER_GROUP: uniqueName('tracking-e2e-license'),
    });
    const trackingEnv = {
      DATABASE_URL: tracking.url,
      // 200 acquisitions of one product queue on its row lock, each holding a connection meanwhile.
      DATABASE_POOL_SIZE: '60',
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      ACCESS_TOKEN_JWKS_URL: `${account.url}/.well-known/jwks.json`,
      TRACKING_CONSUMER_GROUP: uniqueName('tracking-e2e'),
      TRUST_PROXY: 'true',
      LTS_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      LTS_SWEEP_SECONDS: '1',
    };
    const short = { ...trackingEnv, LTS_LEASE_TTL_SECONDS: '4', LTS_HEARTBEAT_SECONDS: '1' };
    [lts, second, shortLived] = await Promise.all([
      startService('tracking', trackingEnv),
      startService('tracking', trackingEnv),
      startService('tracking', { ...short, DATABASE_POOL_SIZE: '10' }),
    ]);
    producer = await licenseProducer('tracking-e2e');
  });

  afterAll(async () => {
    await producer?.disconnect();
    await Promise.all([lts?.stop(), second?.stop(), shortLived?.stop()]);
    await license?.stop();
    await account?.stop();
    await store?.stop();
    await recorder?.stop();
    await Promise.all(dbs.map((db) => db.drop()));
  });

  async function queryTracking<R>(text: string, params: unknown[] = []): Promise<R[]> {
    const client = new Client({ connectionString: trackingDb.url });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as R[];
    } finally {
      await client.end();
    }
  }

  /** usage.recorded.v1 of a licence seen on usage.v1 so far, each checked against its schema. */
  const usageOf = (licenseId: string): UsageRecordedV1[] =>
    recorder.records
      .filter((record) => record.key === licenseId)
      .map((record) => {
        const event = parseCloudEvent(record.value);
        assertValidEvent(event);
        return event.data as UsageRecordedV1;
      });
  const countOf = (licenseId: string, action: string) =>
    usageOf(licenseId).filter((event) => event.action === action).length;

  const acquire = (url: string, licenseKey: string, clientId: string, product?: string, address?: string) =>
    call(url, 'POST', '/v1/lts/leases', { body: { licenseKey, clientId, product }, address });
  const heartbeat = (url: string, leaseId: string) =>
    call(url, 'POST', `/v1/lts/leases/${leaseId}/heartbeat`);
  const usage = (url: string, licenseKey: string) => call(url, 'GET', `/v1/lts/licenses/${licenseKey}/usage`);

  /** A buyer who purchased through the store and signed in. */
  async function buyer(items: (typeof JS)[], label = 'Buyer') {
    const email = `${label}.${randomUUID().slice(0, 8)}@example.com`;
    const purchaseId = await store.order(email, 'Test Buyer', items);
    const [mailed] = await mail.waitFor(email);
    const { token } = mailedLink(mailed!, '/set-password');
    await call(account.url, 'POST', '/v1/auth/password-reset/confirm', {
      body: { token, password: PASSWORD },
    });
    const signIn = await call(account.url, 'POST', '/v1/auth/token', { body: { email, password: PASSWORD } });
    return { token: signIn.body.accessToken as string, purchaseId };
  }

  /** A licence put on licenses.v1 by hand (see feedLicense); its key is checked against usage.v1 later. */
  async function fedLicense(options: FeedOptions) {
    const fed = await feedLicense(producer, (key) => usage(lts.url, key), options);
    keysUsed.push(fed.key);
    return fed;
  }

  it('serves exactly the purchased seats per product of a store purchase, to its owner only, until the refund', async () => {
    const { token, purchaseId } = await buyer([JS, SERVER, TWAIN]);
    const items = await eventually(
      async () => {
        const answer = await call(license.url, 'GET', '/v1/license-items', { token });
        const list = answer.body as unknown as { itemId: string; purchaseId: string }[];
        const mine = Array.isArray(list) ? list.filter((item) => item.purchaseId === purchaseId) : [];
        return mine.length === 3 ? mine : undefined;
      },
      { what: 'the three items', timeoutMs: 40_000 },
    );
    const generated = await call(license.url, 'POST', '/v1/licenses', {
      token,
      body: { itemIds: items.map((item) => item.itemId) },
    });
    expect(generated.status).toBe(201);
    const { licenseId, licenseKey } = generated.body as { licenseId: string; licenseKey: string };
    keysUsed.push(licenseKey);
    // Before activation the LTS knows the licence but leases nothing.
    await eventually(async () => ((await usage(lts.url, licenseKey)).status === 200 ? true : undefined), {
      what: 'the generated licence to reach the LTS',
      timeoutMs: 30_000,
    });
    const early = await acquire(lts.url, licenseKey, 'device-0', 'barcode-reader-js');
    expect(early.status).toBe(403);
    expect(early.body.type).toMatch(/license-not-activated$/);
    const portalBefore = await call(lts.url, 'GET', `/v1/usage/licenses/${licenseId}`, { token });
    expect(portalBefore.body).toEqual({ licenseId, trackingMode: null, products: [] });

    const activated = await call(license.url, 'POST', `/v1/licenses/${licenseId}/activation`, {
      token,
      body: { trackingMode: 'vendor-hosted' },
    });
    expect(activated.status).toBe(200);
    await eventually(
      async () => ((await usage(lts.url, licenseKey)).body as unknown as unknown[]).length === 3 || undefined,
      { what: 'the activation to reach the LTS', timeoutMs: 30_000 },
    );
    const purchased = { 'barcode-reader-js': 2, 'barcode-reader-server': 3, 'web-twain': 1 };
    const held: string[] = [];
    for (const [product, seats] of Object.entries(purchased)) {
      for (let i = 0; i < seats; i++) {
        const answer = await acquire(lts.url, licenseKey, `${product}-client-${i}`, product);
        expect(answer.status).toBe(201);
        expect(answer.body).toMatchObject({ product, heartbeatIntervalSeconds: 180 });
        held.push(answer.body.leaseId as string);
      }
      const extra = await acquire(lts.url, licenseKey, `${product}-client-extra`, product);
      expect({ product, status: extra.status }).toEqual({ product, status: 409 });
      expect(extra.body.type).toMatch(/seats-exhausted$/);
    }
    const twoProducts = await acquire(lts.url, licenseKey, 'someone');
    expect(twoProducts.status).toBe(400);
    expect(twoProducts.body.products).toEqual(Object.keys(purchased));

    const portal = await call(lts.url, 'GET', `/v1/usage/licenses/${licenseId}`, { token });
    expect(portal.status).toBe(200);
    const products = portal.body.products as {
      product: string;
      unit: string;
      seatsTotal: number;
      seatsInUse: number;
      history: { hour: string; peakSeatsInUse: number; denied: number }[];
    }[];
    expect(
      products.map(({ product, unit, seatsTotal, seatsInUse }) => ({
        product,
        unit,
        seatsTotal,
        seatsInUse,
      })),
    ).toEqual([
      { product: 'barcode-reader-js', unit: 'device', seatsTotal: 2, seatsInUse: 2 },
      { product: 'barcode-reader-server', unit: 'instance', seatsTotal: 3, seatsInUse: 3 },
      { product: 'web-twain', unit: 'domain', seatsTotal: 1, seatsInUse: 1 },
    ]);
    for (const product of products) {
      expect(product.history.at(-1)).toEqual({
        hour: expect.stringMatching(/T\d\d:00:00\.000Z$/),
        peakSeatsInUse: product.seatsTotal,
        denied: 1,
      });
    }
    const other = await buyer([JS], 'Other');
    expect(
      (await call(lts.url, 'GET', `/v1/usage/licenses/${licenseId}`, { token: other.token })).status,
    ).toBe(404);
    expect((await call(lts.url, 'GET', `/v1/usage/licenses/${randomUUID()}`, { token })).status).toBe(404);
    expect((await call(lts.url, 'GET', `/v1/usage/licenses/${licenseId}`)).status).toBe(401);

    // A refund revokes the licence: every lease ends at once, new ones are refused.
    await store.refund(purchaseId);
    await eventually(async () => ((await heartbeat(lts.url, held[0]!)).status === 410 ? true : undefined), {
      what: 'the revocation to end the leases',
      timeoutMs: 40_000,
    });
    for (const leaseId of held) expect((await heartbeat(lts.url, leaseId)).status).toBe(410);
    const refused = await acquire(lts.url, licenseKey, 'device-new', 'web-twain');
    expect(refused.status).toBe(403);
    expect(refused.body.type).toMatch(/license-revoked$/);
    await recorder.waitFor(() => countOf(licenseId, 'lease.released') === 6, '6 lease.released');
    expect(countOf(licenseId, 'lease.acquired')).toBe(6);
    expect(countOf(licenseId, 'lease.denied')).toBe(3);
  });

  it('grants exactly 10 of 200 concurrent acquisitions over two instances, and usage.v1 agrees', async () => {
    const { licenseId, key } = await fedLicense({ seats: { 'barcode-reader-js': 10 } });
    // Open the pools' connections first (the burst is about locking, not connection set-up).
    await Promise.all(
      [lts, second].flatMap((instance) =>
        Array.from({ length: 60 }, () => heartbeat(instance.url, randomUUID())),
      ),
    );
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => acquire(i % 2 === 0 ? lts.url : second.url, key, `device-${i}`)),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(10);
    expect(statuses.filter((status) => status === 409)).toHaveLength(190);
    expect((await usage(second.url, key)).body).toMatchObject([{ seatsTotal: 10, seatsInUse: 10 }]);
    await recorder.waitFor(() => countOf(licenseId, 'lease.acquired') === 10, '10 lease.acquired');
    await recorder.waitFor(() => countOf(licenseId, 'lease.denied') === 190, '190 lease.denied');
    expect(countOf(licenseId, 'lease.acquired')).toBe(10);
  });

  it("frees a silent client's seat after the TTL, reports lease.expired once with three sweepers, then answers 410", async () => {
    const { licenseId, key } = await fedLicense({ seats: { 'web-twain': 1 } });
    const first = await acquire(shortLived.url, key, 'silent');
    expect(first.status).toBe(201);
    expect(first.body.heartbeatIntervalSeconds).toBe(1);
    expect((await acquire(second.url, key, 'waiting')).status).toBe(409);
    const beat = await heartbeat(shortLived.url, first.body.leaseId as string);
    expect(beat.status).toBe(200);
    await recorder.waitFor(() => countOf(licenseId, 'lease.expired') === 1, 'lease.expired', 20_000);
    expect((await usage(lts.url, key)).body).toMatchObject([{ seatsInUse: 0 }]);
    expect((await heartbeat(second.url, first.body.leaseId as string)).status).toBe(410);
    await delay(3000); // three more sweeps on each instance
    expect(countOf(licenseId, 'lease.expired')).toBe(1);
    const next = await acquire(second.url, key, 'waiting');
    expect(next.status).toBe(201);
    expect((await call(second.url, 'DELETE', `/v1/lts/leases/${next.body.leaseId as string}`)).status).toBe(
      204,
    );
  });

  it('holds a seat through the client library: acquire, heartbeats on the given interval, release', async () => {
    const { licenseId, key } = await fedLicense({ seats: { 'barcode-reader-js': 1 } });
    const lease = await LtsClient.connect({ url: shortLived.url, licenseKey: key, clientId: 'embedded-app' });
    try {
      expect(lease.held).toBe(true);
      const first = lease.leaseId;
      // Five heartbeats (1 s apart) outlive the 4 s TTL: the seat stays this client's, same lease.
      const renewals: RenewedEvent[] = [];
      lease.on('renewed', (event) => renewals.push(event));
      await eventually(() => (renewals.length >= 5 ? true : undefined), {
        what: 'five heartbeats',
        timeoutMs: 20_000,
      });
      await delay(1000);
      expect(renewals.every((event) => !event.reacquired && event.leaseId === first)).toBe(true);
      expect((await usage(lts.url, key)).body).toMatchObject([{ seatsInUse: 1 }]);
      expect((await acquire(second.url, key, 'another-app')).status).toBe(409);
    } finally {
      await lease.release();
    }
    expect((await usage(lts.url, key)).body).toMatchObject([{ seatsInUse: 0 }]);
    await recorder.waitFor(() => countOf(licenseId, 'lease.released') === 1, 'lease.released');
    expect(usageOf(licenseId).map((event) => event.action)).toEqual([
      'lease.acquired',
      'lease.denied',
      'lease.released',
    ]);
  });

  it('refuses self-hosted, not activated, expired and revoked licences with their reasons', async () => {
    const cases: [Parameters<typeof fedLicense>[0], string][] = [
      [{ mode: 'self-hosted' }, 'wrong-tracking-mode'],
      [{ mode: null }, 'license-not-activated'],
      [{ expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'license-expired'],
    ];
    for (const [options, reason] of cases) {
      const { key } = await fedLicense(options);
      const answer = await acquire(lts.url, key, 'device-1');
      expect({ reason, status: answer.status, type: answer.body.type }).toEqual({
        reason,
        status: 403,
        type: expect.stringMatching(new RegExp(`${reason}$`)),
      });
    }
    const { licenseId, accountId, key } = await fedLicense({ seats: { 'web-twain': 2 } });
    const held = await acquire(lts.url, key, 'device-1');
    expect(held.status).toBe(201);
    await revokeLicense(producer, licenseId, accountId);
    await eventually(
      async () => ((await heartbeat(lts.url, held.body.leaseId as string)).status === 410 ? true : undefined),
      { what: 'the revocation to end the lease', timeoutMs: 30_000 },
    );
    const after = await acquire(lts.url, key, 'device-2');
    expect(after.status).toBe(403);
    expect(after.body.type).toMatch(/license-revoked$/);
    await recorder.waitFor(() => countOf(licenseId, 'lease.released') === 1, 'lease.released on revocation');
  });

  it('answers 400 for malformed bodies and not-a-key, 404 for an unknown key or lease, and stores nothing', async () => {
    const { key } = await fedLicense({ seats: { 'web-twain': 5 } });
    const count = async () =>
      Number((await queryTracking<{ n: string }>('SELECT count(*) AS n FROM leases'))[0]!.n);
    const before = await count();
    const bodies: [unknown, string][] = [
      [{}, 'licenseKey'],
      [{ licenseKey: key }, 'clientId'],
      [{ licenseKey: key, clientId: 'has space' }, 'clientId'],
      [{ licenseKey: key, clientId: '' }, 'clientId'],
      [{ licenseKey: key, clientId: 'x'.repeat(201) }, 'clientId'],
      [{ licenseKey: key, clientId: 'a', product: 'Not A Product' }, 'product'],
      [{ licenseKey: key, clientId: 'a', extra: 1 }, 'extra'],
      [{ licenseKey: 'OTL1-NOT-A-KEY', clientId: 'a' }, 'licenseKey'],
      [{ licenseKey: 42, clientId: 'a' }, 'licenseKey'],
    ];
    for (const [body, field] of bodies) {
      const answer = await call(lts.url, 'POST', '/v1/lts/leases', { body });
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
      expect((answer.body.errors as { field: string }[]).map((error) => error.field)).toContain(field);
    }
    expect((await usage(lts.url, 'OTL1-NOT-A-KEY')).status).toBe(400);
    const unknown = newLicenseKey();
    expect((await acquire(lts.url, unknown, 'a')).status).toBe(404);
    expect((await usage(lts.url, unknown)).status).toBe(404);
    expect((await heartbeat(lts.url, randomUUID())).status).toBe(404);
    expect((await heartbeat(lts.url, 'not-a-uuid')).status).toBe(404);
    expect((await call(lts.url, 'DELETE', `/v1/lts/leases/${randomUUID()}`)).status).toBe(404);
    expect((await acquire(lts.url, key, 'a', 'barcode-reader-js')).status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('coalesces the refusals of a client retrying in a loop into one lease.denied a minute', async () => {
    const { licenseId, key } = await fedLicense({ seats: { 'web-twain': 1 } });
    const holder = await acquire(lts.url, key, 'holder');
    expect(holder.status).toBe(201);
    for (let i = 0; i < 15; i++) {
      expect((await acquire(i % 2 === 0 ? lts.url : second.url, key, 'looper')).status).toBe(409);
    }
    expect((await call(lts.url, 'DELETE', `/v1/lts/leases/${holder.body.leaseId as string}`)).status).toBe(
      204,
    );
    // The release is the licence's last event; once it is on usage.v1 every earlier one is too.
    await recorder.waitFor(() => countOf(licenseId, 'lease.released') === 1, 'lease.released');
    expect(usageOf(licenseId).map((event) => event.action)).toEqual([
      'lease.acquired',
      'lease.denied',
      'lease.released',
    ]);
    const [hour] = await queryTracking<{ denied: number }>(
      'SELECT denied FROM usage_hours WHERE license_id = $1',
      [licenseId],
    );
    expect(hour!.denied).toBe(15);
  });

  it('limits lease calls per client address over both instances: 429 with retry-after', async () => {
    // Stay inside one minute's window.
    const seconds = new Date().getUTCSeconds();
    if (seconds > 40) await delay((61 - seconds) * 1000);
    const address = newAddress();
    const half = RATE_LIMIT / 2;
    const spend = (url: string) =>
      Promise.all(
        Array.from({ length: half }, () =>
          call(url, 'POST', `/v1/lts/leases/${randomUUID()}/heartbeat`, { address }),
        ),
      );
    const answers = [...(await spend(lts.url)), ...(await spend(second.url))];
    expect(answers.every((answer) => answer.status === 404)).toBe(true);
    await delay(800); // more than one flush interval (250 ms)
    for (const instance of [lts, second]) {
      const answer = await call(instance.url, 'POST', `/v1/lts/leases/${randomUUID()}/heartbeat`, {
        address,
      });
      expect(answer.status).toBe(429);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    // Another address is not limited.
    expect((await heartbeat(lts.url, randomUUID())).status).toBe(404);
  });

  it('serves health, metrics and an OpenAPI document listing every status it answers', async () => {
    await expectServiceSurface(lts.url, {
      paths: [
        '/v1/lts/leases',
        '/v1/lts/leases/{leaseId}/heartbeat',
        '/v1/lts/leases/{leaseId}',
        '/v1/lts/licenses/{licenseKey}/usage',
        '/v1/usage/licenses/{licenseId}',
      ],
      metrics: [
        /# TYPE lts_leases_granted_total counter/,
        /# TYPE lts_leases_denied_total counter/,
        /# TYPE lts_leases_expired_total counter/,
        /# TYPE lts_heartbeats_total counter/,
        /lts_active_leases\{service="tracking"\} \d+/,
        /forwarder_lag_seconds/,
      ],
    });
    const document = (await (await fetch(`${lts.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const statuses = (path: string, method: string) =>
      Object.keys(document.paths[path]![method]!.responses).sort();
    expect(statuses('/v1/lts/leases', 'post')).toEqual(
      expect.arrayContaining(['200', '201', '400', '403', '404', '409', '413', '415', '429', '503']),
    );
    // Heartbeat and release take no body, yet one sent anyway is answered 400, 413 or 415.
    expect(statuses('/v1/lts/leases/{leaseId}/heartbeat', 'post')).toEqual(
      expect.arrayContaining(['200', '400', '404', '410', '413', '415', '429', '503']),
    );
    expect(statuses('/v1/lts/leases/{leaseId}', 'delete')).toEqual(
      expect.arrayContaining(['204', '400', '404', '413', '415', '429']),
    );
    expect(statuses('/v1/usage/licenses/{licenseId}', 'get')).toEqual(
      expect.arrayContaining(['200', '401', '404', '503']),
    );
  });

  it('puts only schema-valid usage.recorded.v1 on usage.v1, never a licence key', () => {
    const usageRecords = recorder.records.filter((record) => record.topic === topics.usage);
    expect(usageRecords.length).toBeGreaterThan(200);
    for (const record of usageRecords) {
      const event = parseCloudEvent(record.value);
      assertValidEvent(event);
      expect(event.type).toBe('usage.recorded.v1');
      expect(validateEventData('usage.recorded.v1', event.data)).toEqual({ ok: true });
      expect(record.key).toBe((event.data as UsageRecordedV1).licenseId);
      for (const key of keysUsed) expect(record.value).not.toContain(key);
    }
  });
});
