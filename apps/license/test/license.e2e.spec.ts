import { spawnSync } from 'node:child_process';
import { createPublicKey, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { Kafka, type Producer } from 'kafkajs';
import {
  assertValidEvent,
  isPublicEventType,
  parseCloudEvent,
  topics,
  type PublicCloudEvent,
} from '@otl/contracts';
import { importJwks, parsePrivateKey } from '@otl/auth';
import {
  MailCatcher,
  callJson,
  Store,
  TopicRecorder,
  createTestDatabase,
  eventually,
  expectBodyTooLarge,
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
import { verifyLicenseFile, type LicenseFile } from '@otl/licensing';

const ROOT = resolve(__dirname, '..', '..', '..');
const PASSWORD = 'correct horse battery staple';
const JS = { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' };
const TWAIN = { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' };
const SERVER = { sku: 'BARCODE-SERVER-INSTANCE-PERP', quantity: 3, unitPrice: '4999.00' };

const call = callJson;

interface Item {
  itemId: string;
  purchaseId: string;
  sku: string;
  product: string | null;
  unit: string | null;
  quantity: number;
  term: string | null;
  status: string;
  licenseId: string | null;
}

describe('license service (running services, real Postgres and Kafka)', () => {
  const mail = new MailCatcher();
  const fileKey = newSigningKey();
  let dbs: TestDatabase[] = [];
  let store: Store;
  let account: RunningService;
  let license: RunningService;
  let second: RunningService;
  let recorder: TopicRecorder;
  let producer: Producer;
  let licenseEnv: Record<string, string>;

  beforeAll(async () => {
    const [accountDb, licenseDb] = await Promise.all([
      createTestDatabase('license_e2e_account'),
      createTestDatabase('license_e2e'),
    ]);
    dbs = [accountDb, licenseDb];
    recorder = await new TopicRecorder(testKafka('license-e2e'), [topics.licenses, topics.accounts]).start();
    store = await Store.start();
    account = await startService('account', {
      DATABASE_URL: accountDb.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      SMTP_URL: requireEnv('SMTP_URL'),
      ACCESS_TOKEN_SIGNING_KEY: newSigningKey(),
      PURCHASES_CONSUMER_GROUP: uniqueName('license-e2e-account'),
    });
    licenseEnv = {
      DATABASE_URL: licenseDb.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      LICENSE_SIGNING_KEY: fileKey,
      ACCESS_TOKEN_JWKS_URL: `${account.url}/.well-known/jwks.json`,
      LICENSE_CONSUMER_GROUP: uniqueName('license-e2e'),
      VENDOR_TRACKING_URL: 'https://lts.vendor.example',
    };
    // Two instances on one database: concurrency rules must hold across processes.
    [license, second] = await Promise.all([
      startService('license', licenseEnv),
      startService('license', licenseEnv),
    ]);
    producer = new Kafka({
      brokers: requireEnv('KAFKA_BROKERS').split(','),
      clientId: 'license-e2e-replay',
    }).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await Promise.all([license?.stop(), second?.stop()]);
    await account?.stop();
    await store?.stop();
    await recorder?.stop();
    await Promise.all(dbs.map((db) => db.drop()));
  });

  /** A buyer who purchased through the store and signed in: their access token and purchase. */
  async function buyer(
    items = [JS],
    label = 'Buyer',
  ): Promise<{ token: string; purchaseId: string; email: string }> {
    const email = `${label}.${randomUUID().slice(0, 8)}@example.com`;
    const purchaseId = await store.order(email, 'Test Buyer', items);
    const [mailed] = await mail.waitFor(email);
    const { token } = mailedLink(mailed!, '/set-password');
    expect(
      (
        await call(account.url, 'POST', '/v1/auth/password-reset/confirm', undefined, {
          token,
          password: PASSWORD,
        })
      ).status,
    ).toBe(204);
    const signIn = await call(account.url, 'POST', '/v1/auth/token', undefined, {
      email,
      password: PASSWORD,
    });
    return { token: signIn.body.accessToken as string, purchaseId, email };
  }

  const itemsOf = async (token: string, purchaseId: string, count: number): Promise<Item[]> =>
    eventually(
      async () => {
        const answer = await call(license.url, 'GET', '/v1/license-items', token);
        const items = (answer.body as unknown as Item[]).filter((item) => item.purchaseId === purchaseId);
        return items.length >= count ? items : undefined;
      },
      { what: `${count} items of ${purchaseId}`, timeoutMs: 40_000 },
    );

  const licenseEvents = (licenseId: string): PublicCloudEvent[] =>
    recorder.records
      .filter((record) => record.topic === topics.licenses && record.key === licenseId)
      .map((record) => {
        const event = parseCloudEvent(record.value);
        assertValidEvent(event);
        return event;
      });

  const generate = (token: string, itemIds: string[], url = license.url) =>
    call(url, 'POST', '/v1/licenses', token, { itemIds });
  const activate = (token: string, licenseId: string, body: unknown) =>
    call(license.url, 'POST', `/v1/licenses/${licenseId}/activation`, token, body);

  async function queryLicenseDb<R>(text: string, params: unknown[] = []): Promise<R[]> {
    const client = new Client({ connectionString: dbs[1]!.url });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as R[];
    } finally {
      await client.end();
    }
  }
  /** Public event types in a stream of the license database, in order: what was decided, before any forwarding. */
  const storedTypes = async (stream: string) =>
    (
      await queryLicenseDb<{ type: string }>(
        'SELECT type FROM es_events WHERE stream_id = $1 ORDER BY stream_position',
        [stream],
      )
    )
      .map((row) => row.type)
      .filter(isPublicEventType);
  const storedEventCount = async () =>
    Number((await queryLicenseDb<{ count: string }>('SELECT count(*) FROM es_events'))[0]!.count);
  /** Whether the two instances' consumer has applied this record (its inbox row commits with the effect). */
  const applied = async (eventId: string) =>
    (
      await queryLicenseDb('SELECT 1 FROM es_inbox WHERE consumer = $1 AND event_id = $2', [
        licenseEnv.LICENSE_CONSUMER_GROUP,
        eventId,
      ])
    ).length === 1;
  /** inbox_records_total of one outcome, summed over both instances (they share the partitions). */
  async function inboxCount(outcome: 'applied' | 'duplicate'): Promise<number> {
    let sum = 0;
    for (const instance of [license, second]) {
      const text = await (await fetch(`${instance.url}/metrics`)).text();
      for (const line of text.split('\n')) {
        if (line.startsWith('inbox_records_total{') && line.includes(`outcome="${outcome}"`)) {
          sum += Number(line.split(' ').at(-1));
        }
      }
    }
    return sum;
  }
  const cloudEvent = (type: string, subject: string, data: object, id: string = randomUUID()) =>
    JSON.stringify({
      specversion: '1.0',
      id,
      source: '/license-e2e',
      type,
      subject,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data,
    });
  /** A purchase.refunded.v1 put on Kafka by hand under a new event id; returns that id. */
  async function sendRefund(purchaseId: string, externalRef: string): Promise<string> {
    const id = randomUUID();
    const data = {
      purchaseId,
      channel: 'store',
      externalRef,
      refundedAt: new Date().toISOString(),
      reason: null,
    };
    await producer.send({
      topic: topics.purchases,
      messages: [{ key: purchaseId, value: cloudEvent('purchase.refunded.v1', purchaseId, data, id) }],
    });
    return id;
  }

  it('shows the items of a store purchase to the buyer, with catalog facts and status', async () => {
    const { token, purchaseId } = await buyer([
      JS,
      SERVER,
      { sku: 'MYSTERY-SKU', quantity: 1, unitPrice: '1.00' },
    ]);
    const items = await itemsOf(token, purchaseId, 3);
    expect(
      items.map(({ sku, product, unit, quantity, term, status, licenseId }) => ({
        sku,
        product,
        unit,
        quantity,
        term,
        status,
        licenseId,
      })),
    ).toEqual([
      {
        sku: JS.sku,
        product: 'barcode-reader-js',
        unit: 'device',
        quantity: 2,
        term: '1y',
        status: 'available',
        licenseId: null,
      },
      {
        sku: SERVER.sku,
        product: 'barcode-reader-server',
        unit: 'instance',
        quantity: 3,
        term: 'perpetual',
        status: 'available',
        licenseId: null,
      },
      {
        sku: 'MYSTERY-SKU',
        product: null,
        unit: null,
        quantity: 1,
        term: null,
        status: 'needs-review',
        licenseId: null,
      },
    ]);
    const review = await generate(token, [items[2]!.itemId]);
    expect(review.status).toBe(409);
  });

  it('generates one licence for one item and one licence for three items; the items turn licensed', async () => {
    const { token, purchaseId } = await buyer([JS, TWAIN, SERVER, JS]);
    const items = await itemsOf(token, purchaseId, 4);
    const single = await generate(token, [items[0]!.itemId]);
    expect(single.status).toBe(201);
    expect(single.body).toMatchObject({
      status: 'generated',
      trackingMode: null,
      items: [expect.objectContaining({ itemId: items[0]!.itemId })],
    });
    expect(single.body.licenseKey).toMatch(/^OTL1(-[0-9A-Z]{5}){6}-[0-9A-Z]{4}$/);

    const several = await generate(
      token,
      items.slice(1).map((item) => item.itemId),
    );
    expect(several.status).toBe(201);
    expect((several.body.items as unknown[]).length).toBe(3);
    const after = await itemsOf(token, purchaseId, 4);
    expect(after.map((item) => [item.status, item.licenseId])).toEqual([
      ['licensed', single.body.licenseId],
      ['licensed', several.body.licenseId],
      ['licensed', several.body.licenseId],
      ['licensed', several.body.licenseId],
    ]);
    const listed = await call(license.url, 'GET', '/v1/licenses', token);
    expect((listed.body as unknown as { licenseId: string }[]).map((l) => l.licenseId).sort()).toEqual(
      [single.body.licenseId, several.body.licenseId].sort(),
    );
    await recorder.waitFor(
      () => licenseEvents(several.body.licenseId as string).length === 1,
      'license.generated.v1',
    );
    const [generated] = licenseEvents(several.body.licenseId as string);
    expect(generated!.type).toBe('license.generated.v1');
    expect(JSON.stringify(generated)).not.toContain(several.body.licenseKey as string);
  });

  it('lets exactly one of 10 concurrent requests for one item win, across two instances', async () => {
    const { token, purchaseId } = await buyer([JS]);
    const [item] = await itemsOf(token, purchaseId, 1);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        generate(token, [item!.itemId], i % 2 === 0 ? license.url : second.url),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    const listed = await call(license.url, 'GET', '/v1/licenses', token);
    expect(listed.body).toHaveLength(1);
  });

  it("answers 404 for someone else's licence, file and activation, and 401 without a token", async () => {
    const owner = await buyer([JS]);
    const other = await buyer([JS], 'Other');
    const [item] = await itemsOf(owner.token, owner.purchaseId, 1);
    const { licenseId } = (await generate(owner.token, [item!.itemId])).body as { licenseId: string };
    expect((await call(license.url, 'GET', `/v1/licenses/${licenseId}`, other.token)).status).toBe(404);
    expect((await call(license.url, 'GET', `/v1/licenses/${licenseId}/file`, other.token)).status).toBe(404);
    expect((await activate(other.token, licenseId, { trackingMode: 'vendor-hosted' })).status).toBe(404);
    expect((await call(license.url, 'GET', `/v1/licenses/${randomUUID()}`, other.token)).status).toBe(404);
    expect((await generate(other.token, [item!.itemId])).status).toBe(404);
    expect((await call(license.url, 'GET', '/v1/license-items')).status).toBe(401);
    expect((await call(license.url, 'GET', `/v1/licenses/${licenseId}`)).status).toBe(401);
    // The owner's licence is untouched.
    expect((await call(license.url, 'GET', `/v1/licenses/${licenseId}`, owner.token)).body.status).toBe(
      'generated',
    );
  });

  it('refuses malformed licence requests with 400 naming the field, and a malformed id with 404', async () => {
    const { token } = await buyer([JS], 'BadInput');
    const item = randomUUID();
    const cases: [unknown, string][] = [
      [{}, 'itemIds'],
      [{ itemIds: [] }, 'itemIds'],
      [{ itemIds: 'x' }, 'itemIds'],
      [{ itemIds: ['not-a-uuid'] }, 'itemIds'],
      [{ itemIds: [item, item] }, 'itemIds'],
      [{ itemIds: Array.from({ length: 101 }, () => randomUUID()) }, 'itemIds'],
      [{ itemIds: [item], note: 'x' }, 'note'],
    ];
    for (const [body, field] of cases) {
      const answer = await call(license.url, 'POST', '/v1/licenses', token, body);
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
      expect((answer.body.errors as { field: string }[]).map((error) => error.field)).toContain(field);
    }
    expect((await call(license.url, 'GET', '/v1/licenses/not-a-uuid', token)).status).toBe(404);
    expect((await call(license.url, 'GET', '/v1/licenses', token)).body).toEqual([]);
  });

  it('serves health, metrics and its OpenAPI document, and refuses bodies over 256 KiB', async () => {
    await expectServiceSurface(license.url, {
      paths: [
        '/v1/license-items',
        '/v1/licenses',
        '/v1/licenses/{id}',
        '/v1/licenses/{id}/activation',
        '/v1/licenses/{id}/file',
        '/.well-known/license-signing-keys',
      ],
      // The two instances share the partitions, so this one may have applied no record yet.
      metrics: [/# TYPE inbox_records_total counter/, /forwarder_lag_seconds/],
    });
    const { token } = await buyer([JS], 'Large');
    await expectBodyTooLarge(license.url, '/v1/licenses', { authorization: `Bearer ${token}` });
  });

  it('keeps activation irreversible: the same again is a no-op, another is 409, bad bodies are 400', async () => {
    const { token, purchaseId } = await buyer([JS]);
    const [item] = await itemsOf(token, purchaseId, 1);
    const { licenseId } = (await generate(token, [item!.itemId])).body as { licenseId: string };
    expect((await activate(token, licenseId, { trackingMode: 'self-hosted' })).status).toBe(400);
    expect((await activate(token, licenseId, { trackingMode: 'cloud' })).status).toBe(400);
    expect(
      (await activate(token, licenseId, { trackingMode: 'vendor-hosted', ltsInstanceId: 'x' })).status,
    ).toBe(400);
    expect(
      (await activate(token, licenseId, { trackingMode: 'self-hosted', ltsInstanceId: 'lts-1', extra: 1 }))
        .status,
    ).toBe(400);

    const first = await activate(token, licenseId, {
      trackingMode: 'self-hosted',
      ltsInstanceId: 'lts-plant-7',
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'activated',
      trackingMode: 'self-hosted',
      ltsInstanceId: 'lts-plant-7',
    });
    const again = await activate(token, licenseId, {
      trackingMode: 'self-hosted',
      ltsInstanceId: 'lts-plant-7',
    });
    expect(again.status).toBe(200);
    expect(again.body.activatedAt).toBe(first.body.activatedAt);
    expect((await activate(token, licenseId, { trackingMode: 'vendor-hosted' })).status).toBe(409);
    expect(
      (await activate(token, licenseId, { trackingMode: 'self-hosted', ltsInstanceId: 'lts-other' })).status,
    ).toBe(409);
    // Every call above has been answered, so the stream holds all it ever will from them.
    expect(await storedTypes(`license-${licenseId}`)).toEqual([
      'license.generated.v1',
      'license.activated.v1',
    ]);
    await recorder.waitFor(() => licenseEvents(licenseId).length >= 2, 'activation event');
    expect(licenseEvents(licenseId).map((event) => event.type)).toEqual([
      'license.generated.v1',
      'license.activated.v1',
    ]);
  });

  it('serves a signed licence file that verifies with the published key and matches the licence', async () => {
    const { token, purchaseId } = await buyer([JS, JS, SERVER]);
    const items = await itemsOf(token, purchaseId, 3);
    const created = await generate(
      token,
      items.map((item) => item.itemId),
    );
    const licenseId = created.body.licenseId as string;
    expect((await call(license.url, 'GET', `/v1/licenses/${licenseId}/file`, token)).status).toBe(409);
    const activated = await activate(token, licenseId, { trackingMode: 'vendor-hosted' });

    const download = await call(license.url, 'GET', `/v1/licenses/${licenseId}/file`, token);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename=/);
    const file = download.body as unknown as LicenseFile;
    const keys = importJwks((await call(license.url, 'GET', '/.well-known/license-signing-keys')).body).keys;
    const payload = verifyLicenseFile(file, (kid) => keys.get(kid));
    const activatedAt = new Date(activated.body.activatedAt as string);
    const yearLater = new Date(activatedAt);
    yearLater.setUTCFullYear(yearLater.getUTCFullYear() + 1);
    expect(payload).toEqual({
      licenseId,
      licenseKey: created.body.licenseKey,
      accountId: expect.any(String),
      trackingMode: 'vendor-hosted',
      ltsInstanceId: null,
      trackingUrl: 'https://lts.vendor.example',
      entitlements: [
        { product: 'barcode-reader-js', unit: 'device', seats: 4, expiresAt: yearLater.toISOString() },
        { product: 'barcode-reader-server', unit: 'instance', seats: 3, expiresAt: null },
      ],
      issuedAt: expect.any(String),
    });
    // The licence's items show the same expiry as the file once it is activated (perpetual: none).
    const shown = await call(license.url, 'GET', `/v1/licenses/${licenseId}`, token);
    const expiries = (shown.body.items as { sku: string; expiresAt: string | null }[]).map(
      (item) => [item.sku, item.expiresAt] as const,
    );
    expect(expiries).toEqual(
      expect.arrayContaining([
        [JS.sku, yearLater.toISOString()],
        [SERVER.sku, null],
      ]),
    );
    expect(keys.get(file.kid)?.export({ format: 'jwk' })).toEqual(
      createPublicKey(parsePrivateKey(fileKey)).export({ format: 'jwk' }),
    );
    // license.activated.v1 carries the very entitlements of the file, so no consumer reads the catalog.
    const activatedEvent = () =>
      licenseEvents(licenseId).find((event) => event.type === 'license.activated.v1');
    await recorder.waitFor(() => activatedEvent() !== undefined, 'activation event');
    expect((activatedEvent()?.data as { entitlements: unknown }).entitlements).toEqual(payload?.entitlements);

    // One flipped byte, in the payload or the signature, and it no longer verifies.
    const bytes = Buffer.from(file.payload, 'base64url');
    bytes[10] = bytes[10]! ^ 1;
    expect(
      verifyLicenseFile({ ...file, payload: bytes.toString('base64url') }, (kid) => keys.get(kid)),
    ).toBeUndefined();
    const signature = Buffer.from(file.signature, 'base64url');
    signature[0] = signature[0]! ^ 1;
    expect(
      verifyLicenseFile({ ...file, signature: signature.toString('base64url') }, (kid) => keys.get(kid)),
    ).toBeUndefined();

    // Rotation: a new key, the old one listed as previous; files signed before still verify.
    const oldPublic = (await call(license.url, 'GET', '/.well-known/license-signing-keys')).body;
    const rotated = await startService('license', {
      ...licenseEnv,
      LICENSE_SIGNING_KEY: newSigningKey(),
      LICENSE_PREVIOUS_KEYS: JSON.stringify(oldPublic),
      // Its own consumer group, so the two instances above keep their partitions (no rebalance).
      LICENSE_CONSUMER_GROUP: uniqueName('license-e2e-rotated'),
    });
    try {
      const rotatedKeys = importJwks(
        (await call(rotated.url, 'GET', '/.well-known/license-signing-keys')).body,
      ).keys;
      expect(rotatedKeys.size).toBe(2);
      expect(verifyLicenseFile(file, (kid) => rotatedKeys.get(kid))).toEqual(payload);
      const fresh = (await call(rotated.url, 'GET', `/v1/licenses/${licenseId}/file`, token))
        .body as unknown as LicenseFile;
      expect(fresh.kid).not.toBe(file.kid);
      expect(verifyLicenseFile(fresh, (kid) => rotatedKeys.get(kid))?.licenseKey).toBe(
        created.body.licenseKey,
      );
    } finally {
      await rotated.stop();
    }
  });

  it('refunds: before generation the item is refunded; after, the licence is revoked once; a second refund changes nothing', async () => {
    const early = await buyer([JS], 'EarlyRefund');
    const [earlyItem] = await itemsOf(early.token, early.purchaseId, 1);
    await store.refund(early.purchaseId);
    await eventually(async () =>
      (await itemsOf(early.token, early.purchaseId, 1))[0]!.status === 'refunded' ? true : undefined,
    );
    expect((await generate(early.token, [earlyItem!.itemId])).status).toBe(409);

    const late = await buyer([JS, SERVER], 'LateRefund');
    const items = await itemsOf(late.token, late.purchaseId, 2);
    const { licenseId } = (
      await generate(
        late.token,
        items.map((item) => item.itemId),
      )
    ).body as { licenseId: string };
    await activate(late.token, licenseId, { trackingMode: 'vendor-hosted' });
    expect((await call(license.url, 'GET', `/v1/licenses/${licenseId}/file`, late.token)).status).toBe(200);
    await store.refund(late.purchaseId);
    await eventually(async () =>
      (await call(license.url, 'GET', `/v1/licenses/${licenseId}`, late.token)).body.status === 'revoked'
        ? true
        : undefined,
    );
    expect((await itemsOf(late.token, late.purchaseId, 2)).map((item) => item.status)).toEqual([
      'refunded',
      'refunded',
    ]);
    expect((await call(license.url, 'GET', `/v1/licenses/${licenseId}/file`, late.token)).status).toBe(409);
    // The store webhook records no second refund of one order, so the second one (say, from another
    // channel's tooling) is put on Kafka directly, and waited for until the consumer has applied it.
    const again = await sendRefund(late.purchaseId, 'ST-late-again');
    await eventually(async () => ((await applied(again)) ? true : undefined), {
      what: 'the second refund to be applied',
    });
    expect(await storedTypes(`license-${licenseId}`)).toEqual([
      'license.generated.v1',
      'license.activated.v1',
      'license.revoked.v1',
    ]);
    await recorder.waitFor(
      () => licenseEvents(licenseId).some((event) => event.type === 'license.revoked.v1'),
      'revocation',
    );
    const revoked = licenseEvents(licenseId).filter((event) => event.type === 'license.revoked.v1');
    expect(revoked.map((event) => event.data)).toEqual([
      expect.objectContaining({ licenseId, reason: 'refund' }),
    ]);
  });

  it('stamps the events its consumer makes with the correlation id of the record that caused them', async () => {
    const { token, purchaseId } = await buyer([JS], 'Correlated');
    const [item] = await itemsOf(token, purchaseId, 1);
    const { licenseId } = (await generate(token, [item!.itemId])).body as { licenseId: string };
    const correlationId = `refund-${randomUUID()}`;
    await store.refund(purchaseId, { correlationId });
    const isRevocation = (record: { topic: string; key: string | null; value: string }) =>
      record.topic === topics.licenses &&
      record.key === licenseId &&
      parseCloudEvent(record.value).type === 'license.revoked.v1';
    await recorder.waitFor((records) => records.some(isRevocation), 'revocation');
    expect(recorder.records.find(isRevocation)?.headers['correlation-id']).toBe(correlationId);
  });

  it("a refund revoking a licence that also holds another purchase's item makes that item available again", async () => {
    const first = await buyer([JS], 'SharedRefund');
    const purchaseId = await store.order(first.email, 'Test Buyer', [SERVER]);
    const [kept] = await itemsOf(first.token, purchaseId, 1);
    const [refundedItem] = await itemsOf(first.token, first.purchaseId, 1);
    const shared = await generate(first.token, [kept!.itemId, refundedItem!.itemId]);
    expect(shared.status).toBe(201);
    const licenseId = (shared.body as { licenseId: string }).licenseId;
    await store.refund(first.purchaseId);
    const after = await eventually(
      async () => {
        const [item] = await itemsOf(first.token, purchaseId, 1);
        return item!.status === 'available' ? item : undefined;
      },
      { what: 'the unrefunded item to be available again', timeoutMs: 20_000 },
    );
    expect(after).toMatchObject({ status: 'available', licenseId: null });
    expect((await itemsOf(first.token, first.purchaseId, 1))[0]).toMatchObject({ status: 'refunded' });
    expect((await call(license.url, 'GET', `/v1/licenses/${licenseId}`, first.token)).body.status).toBe(
      'revoked',
    );
    const again = await generate(first.token, [kept!.itemId]);
    expect(again.status).toBe(201);
    expect((again.body as { licenseId: string }).licenseId).not.toBe(licenseId);
  });

  it('applies a refund that arrives before the assignment when the assignment comes', async () => {
    // The two records are put on Kafka by hand, in this order, so the refund is surely first.
    const purchaseId = randomUUID();
    const itemId = randomUUID();
    const accountId = randomUUID();
    const rowOf = async () => {
      const client = new Client({ connectionString: dbs[1]!.url });
      await client.connect();
      try {
        const held = await client.query('SELECT 1 FROM es_events WHERE stream_id = $1', [
          `license-purchase-${purchaseId}`,
        ]);
        const item = await client.query('SELECT status FROM license_items WHERE item_id = $1', [itemId]);
        return { held: held.rows.length, status: (item.rows[0] as { status?: string } | undefined)?.status };
      } finally {
        await client.end();
      }
    };
    await sendRefund(purchaseId, 'ST-first');
    await eventually(async () => ((await rowOf()).held === 1 ? true : undefined), {
      what: 'the refund to be held',
    });
    expect((await rowOf()).status).toBeUndefined();
    await producer.send({
      topic: topics.accounts,
      messages: [
        {
          key: accountId,
          value: cloudEvent('purchase.assigned.v1', accountId, {
            purchaseId,
            accountId,
            channel: 'store',
            externalRef: 'ST-first',
            items: [{ itemId, sku: JS.sku, quantity: 1, unitPrice: JS.unitPrice }],
            assignedAt: new Date().toISOString(),
          }),
        },
      ],
    });
    await eventually(async () => ((await rowOf()).status === 'refunded' ? true : undefined), {
      what: 'the item to be recorded as refunded',
    });
  });

  it('changes nothing when its input is replayed from Kafka, record by record and from the beginning', async () => {
    const { token, purchaseId } = await buyer([JS, SERVER], 'Replay');
    const items = await itemsOf(token, purchaseId, 2);
    const { licenseId } = (await generate(token, [items[0]!.itemId])).body as { licenseId: string };
    await store.refund(purchaseId);
    await eventually(async () =>
      (await call(license.url, 'GET', `/v1/licenses/${licenseId}`, token)).body.status === 'revoked'
        ? true
        : undefined,
    );
    const before = {
      items: await itemsOf(token, purchaseId, 2),
      licenses: (await call(license.url, 'GET', '/v1/licenses', token)).body,
      stored: await storedEventCount(),
    };
    const assigned = recorder.records.find(
      (record) =>
        record.topic === topics.accounts &&
        parseCloudEvent(record.value).type === 'purchase.assigned.v1' &&
        record.value.includes(purchaseId),
    );
    expect(assigned).toBeDefined();
    // Everything this buyer's story published is on Kafka before the replay starts.
    const publicIds = async () =>
      new Set(
        (await queryLicenseDb<{ event_id: string; type: string }>('SELECT event_id, type FROM es_events'))
          .filter((row) => isPublicEventType(row.type))
          .map((row) => row.event_id),
      );
    const publishedIds = () =>
      new Set(
        recorder.records
          .filter((record) => record.topic === topics.licenses)
          .map((record) => parseCloudEvent(record.value).id),
      );
    const storedPublic = await publicIds();
    await recorder.waitFor(
      () => [...storedPublic].every((id) => publishedIds().has(id)),
      'every stored licence event on Kafka',
    );
    const publishedBefore = publishedIds().size;
    const duplicatesBefore = await inboxCount('duplicate');
    await producer.send({
      topic: topics.accounts,
      messages: [{ key: assigned!.key, value: assigned!.value }],
    });
    // The same refund again under a new event id: the purchase stream still refunds once.
    const refundAgain = await sendRefund(purchaseId, 'ST-replay');
    await eventually(
      async () =>
        (await inboxCount('duplicate')) > duplicatesBefore && (await applied(refundAgain)) ? true : undefined,
      { what: 'the replayed assignment seen as a duplicate and the new refund applied' },
    );
    expect(await storedEventCount()).toBe(before.stored);
    expect(await itemsOf(token, purchaseId, 2)).toEqual(before.items);
    expect((await call(license.url, 'GET', '/v1/licenses', token)).body).toEqual(before.licenses);
    expect(publishedIds().size).toBe(publishedBefore);

    // All of its input again, from the beginning of both topics: a third instance in a new
    // consumer group (its own inbox) on the same database applies nothing new.
    const replayer = await startService('license', {
      ...licenseEnv,
      LICENSE_CONSUMER_GROUP: uniqueName('license-e2e-replay'),
    });
    try {
      const processed = async () => {
        const text = await (await fetch(`${replayer.url}/metrics`)).text();
        return text
          .split('\n')
          .filter((line) => line.startsWith('inbox_records_total{'))
          .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
      };
      // Every record of both topics, as they stand now, must have passed through its inbox.
      const admin = new Kafka({
        brokers: requireEnv('KAFKA_BROKERS').split(','),
        clientId: 'license-e2e-admin',
      }).admin();
      await admin.connect();
      const ends = await Promise.all(
        [topics.accounts, topics.purchases].map((topic) => admin.fetchTopicOffsets(topic)),
      );
      await admin.disconnect();
      const total = ends.flat().reduce((sum, partition) => sum + Number(partition.high), 0);
      await eventually(async () => ((await processed()) >= total ? true : undefined), {
        what: `the replaying consumer to apply all ${total} records`,
        timeoutMs: 40_000,
        intervalMs: 500,
      });
      expect(await itemsOf(token, purchaseId, 2)).toEqual(before.items);
      expect((await call(license.url, 'GET', '/v1/licenses', token)).body).toEqual(before.licenses);
      expect(await storedEventCount()).toBe(before.stored);
      expect(publishedIds().size).toBe(publishedBefore);
    } finally {
      await replayer.stop();
    }
  });

  it('rebuilds the same read models from the event log (npm run license:rebuild-read-model)', async () => {
    const snapshot = async () => {
      const client = new Client({ connectionString: dbs[1]!.url });
      await client.connect();
      try {
        const items = (await client.query('SELECT * FROM license_items ORDER BY item_id')).rows;
        const licenses = (await client.query('SELECT * FROM licenses ORDER BY license_id')).rows;
        return { items, licenses };
      } finally {
        await client.end();
      }
    };
    const before = await snapshot();
    expect(before.items.length).toBeGreaterThan(10);
    const run = spawnSync(
      process.execPath,
      [
        '-r',
        './tools/runtime/register-aliases.cjs',
        'dist/out-tsc/apps/license/src/licenses/rebuild-command.js',
      ],
      { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', DATABASE_URL: dbs[1]!.url } },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^Rebuilt the license read models from \d+ events/);
    expect(await snapshot()).toEqual(before);
  });
});
