import { randomUUID } from 'node:crypto';
import { isPublicEventType, topics } from '@otl/contracts';
import {
  TopicRecorder,
  createTestDatabase,
  expectServiceSurface,
  signStoreWebhook,
  startService,
  storeOrder,
  storeRefund,
  testKafka,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';
import {
  deliver,
  newOrderId,
  newSecret,
  post,
  purchaseEvents,
  queryOne,
  queryRows,
  serviceEnv,
  storedCounts,
} from './support';
import { purchaseStream } from '../src/purchases/domain/ids';

describe('store-webhook (running service, real Postgres and Kafka)', () => {
  const secret = newSecret();
  const nextSecret = newSecret();
  let db: TestDatabase;
  let service: RunningService;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    db = await createTestDatabase('store_webhook_e2e');
    recorder = await new TopicRecorder(testKafka('store-webhook-e2e'), [topics.purchases]).start();
    // Two secrets: the store is rotating from `secret` to `nextSecret`.
    service = await startService('store-webhook', serviceEnv(db.url, [secret, nextSecret]));
  });

  afterAll(async () => {
    await service?.stop();
    await recorder?.stop();
    await db?.drop();
  });

  const eventsOf = (purchaseId: string) => purchaseEvents(recorder.records, purchaseId);
  const waitForEvents = (purchaseId: string, count: number) =>
    recorder.waitFor(
      (records) => purchaseEvents(records, purchaseId).length >= count,
      `${count} events of ${purchaseId}`,
    );
  /** Public event types stored for a purchase: all the forwarder will publish for what was answered. */
  const storedTypes = async (purchaseId: string) =>
    (
      await queryRows<{ type: string }>(
        db.url,
        'SELECT type FROM es_events WHERE stream_id = $1 ORDER BY stream_position',
        [purchaseStream(purchaseId)],
      )
    )
      .map((row) => row.type)
      .filter(isPublicEventType);
  /**
   * Sends a refund of the order and waits for it on Kafka. It has the purchase's key (so its
   * partition) and is published after everything stored before it, so once it is seen, whatever
   * was (wrongly) published before it has been seen too.
   */
  async function refundAsMarker(orderId: string, purchaseId: string): Promise<void> {
    expect((await deliver(service.url, secret, storeRefund(orderId))).status).toBe(202);
    await recorder.waitFor(
      (records) => purchaseEvents(records, purchaseId).some((event) => event.type === 'purchase.refunded.v1'),
      `the refund of ${purchaseId}`,
    );
  }

  it('turns a signed order.completed into exactly one schema-valid purchase.recorded.v1 keyed by purchaseId', async () => {
    const orderId = newOrderId();
    const answer = await deliver(service.url, secret, storeOrder(orderId));
    expect(answer.status).toBe(202);
    const purchaseId = answer.body.purchaseId as string;
    expect(purchaseId).toMatch(/^[0-9a-f-]{36}$/);

    expect(await storedTypes(purchaseId)).toEqual(['purchase.recorded.v1']);
    await refundAsMarker(orderId, purchaseId);
    const events = eventsOf(purchaseId);
    expect(events.map((each) => each.type)).toEqual(['purchase.recorded.v1', 'purchase.refunded.v1']);
    const [event] = events;
    expect(event).toMatchObject({
      type: 'purchase.recorded.v1',
      subject: purchaseId,
      source: '/store-webhook',
    });
    expect(event!.data).toMatchObject({
      purchaseId,
      channel: 'store',
      externalRef: orderId,
      resellerId: null,
      customer: { email: 'Ana.Lima@Example.com', name: 'Ana Lima', company: 'Example Ltd' },
      items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' }],
      currency: 'USD',
      total: '2498.00',
    });
    const record = recorder.records.find((candidate) => candidate.key === purchaseId)!;
    expect(record.headers['correlation-id']).toBe(answer.headers.get('x-correlation-id'));
  });

  it('keeps the raw delivery for audit', async () => {
    const orderId = newOrderId();
    const body = JSON.stringify(storeOrder(orderId));
    const headers = signStoreWebhook(secret, body);
    expect((await post(service.url, body, headers)).status).toBe(202);
    const row = await queryOne<{ body: string; headers: Record<string, string>; outcome: string }>(
      db.url,
      'SELECT body, headers, outcome FROM store_webhook_deliveries WHERE webhook_id = $1',
      [headers['webhook-id']],
    );
    expect(row.body).toBe(body);
    expect(row.headers['webhook-signature']).toBe(headers['webhook-signature']);
    expect(row.outcome).toBe('recorded');
  });

  /** Every answer is the same 202 `{ purchaseId }`, and exactly one purchase.recorded.v1 reaches Kafka. */
  async function expectOnePurchase(
    orderId: string,
    answers: Awaited<ReturnType<typeof post>>[],
  ): Promise<string> {
    const purchaseId = answers[0]!.body.purchaseId as string;
    expect(purchaseId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answers.map((answer) => [answer.status, answer.body])).toEqual(
      answers.map(() => [202, { purchaseId }]),
    );
    expect(await storedTypes(purchaseId)).toEqual(['purchase.recorded.v1']);
    await refundAsMarker(orderId, purchaseId);
    expect(eventsOf(purchaseId).map((event) => event.type)).toEqual([
      'purchase.recorded.v1',
      'purchase.refunded.v1',
    ]);
    return purchaseId;
  }

  const redeliveriesOf = async (webhookId: string | undefined) =>
    (
      await queryOne<{ redeliveries: number }>(
        db.url,
        'SELECT redeliveries FROM store_webhook_deliveries WHERE webhook_id = $1',
        [webhookId],
      )
    ).redeliveries;

  it('answers the same delivery three times alike and records one purchase', async () => {
    const orderId = newOrderId();
    const body = JSON.stringify(storeOrder(orderId));
    const headers = signStoreWebhook(secret, body);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await post(service.url, body, headers));
    await expectOnePurchase(orderId, answers);
    expect(await redeliveriesOf(headers['webhook-id'])).toBe(2);
  });

  it('answers one delivery sent 10 times at once alike, counting the repeats', async () => {
    const orderId = newOrderId();
    const body = JSON.stringify(storeOrder(orderId));
    const headers = signStoreWebhook(secret, body);
    await expectOnePurchase(
      orderId,
      await Promise.all(Array.from({ length: 10 }, () => post(service.url, body, headers))),
    );
    expect(await redeliveriesOf(headers['webhook-id'])).toBe(9);
  });

  it('records one purchase for the same orderId under new webhook-ids', async () => {
    const orderId = newOrderId();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await deliver(service.url, secret, storeOrder(orderId)));
    await expectOnePurchase(orderId, answers);
  });

  it('records one purchase for 20 concurrent deliveries of one order', async () => {
    const orderId = newOrderId();
    await expectOnePurchase(
      orderId,
      await Promise.all(Array.from({ length: 20 }, () => deliver(service.url, secret, storeOrder(orderId)))),
    );
  });

  it('accepts the secret being rotated in, and any one valid entry among several', async () => {
    const body = JSON.stringify(storeOrder(newOrderId()));
    const signedWithNext = signStoreWebhook(nextSecret, body);
    const signedWithOld = signStoreWebhook(secret, body, {
      id: signedWithNext['webhook-id'],
      timestamp: Number(signedWithNext['webhook-timestamp']),
    });
    const both = `${signedWithOld['webhook-signature']} ${signedWithNext['webhook-signature']}`;
    expect((await post(service.url, body, signedWithNext)).status).toBe(202);
    expect((await post(service.url, body, { ...signedWithNext, 'webhook-signature': both })).status).toBe(
      202,
    );
  });

  describe('refuses unauthenticated deliveries and stores nothing', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const body = () => JSON.stringify(storeOrder(newOrderId()));
    const cases: [string, () => Record<string, string> & { body?: string }][] = [
      [
        'a wrong signature',
        () => ({
          ...signStoreWebhook(secret, body()),
          'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64'),
        }),
      ],
      ['a signature by an unknown (rotated-out) secret', () => signStoreWebhook(newSecret(), body())],
      [
        'no signature header',
        () => {
          const { 'webhook-signature': _omitted, ...rest } = signStoreWebhook(secret, body());
          return rest;
        },
      ],
      [
        'no webhook-id header',
        () => {
          const { 'webhook-id': _omitted, ...rest } = signStoreWebhook(secret, body());
          return rest;
        },
      ],
      ['a timestamp 6 minutes old', () => signStoreWebhook(secret, body(), { timestamp: now() - 6 * 60 })],
      ['a timestamp 6 minutes ahead', () => signStoreWebhook(secret, body(), { timestamp: now() + 6 * 60 })],
      ['a signature over another body', () => signStoreWebhook(secret, body())],
    ];

    it.each(cases)('401 for %s', async (_, makeHeaders) => {
      const before = await storedCounts(db.url);
      const headers = makeHeaders();
      const answer = await post(service.url, body(), headers);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({
        status: 401,
        title: expect.any(String),
        detail: expect.any(String),
      });
      expect(await storedCounts(db.url)).toEqual(before);
    });
  });

  describe('refuses bodies that break the schema with a 400 naming the field, storing nothing', () => {
    const valid = () => storeOrder(newOrderId());
    const withData = (change: (data: Record<string, unknown>) => void) => {
      const order = valid();
      change(order.data as Record<string, unknown>);
      return order;
    };
    const item = (change: Record<string, unknown>) =>
      withData(
        (data) =>
          (data.items = [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 1, unitPrice: '1249.00', ...change }]),
      );
    const cases: [string, unknown, string][] = [
      ['no type', { data: valid().data }, 'type'],
      ['an unknown top-level field', { ...valid(), id: 'evt_1' }, 'id'],
      ['no data', { type: 'order.completed' }, 'data'],
      ['data not an object', { type: 'order.completed', data: 'ST-1' }, 'data'],
      ['no orderId', withData((data) => delete data.orderId), 'data.orderId'],
      ['an empty orderId', withData((data) => (data.orderId = '')), 'data.orderId'],
      ['a numeric orderId', withData((data) => (data.orderId = 100234)), 'data.orderId'],
      ['completedAt not a date', withData((data) => (data.completedAt = 'yesterday')), 'data.completedAt'],
      [
        'completedAt not in UTC',
        withData((data) => (data.completedAt = '2026-11-27T10:00:00+02:00')),
        'data.completedAt',
      ],
      ['a lowercase currency', withData((data) => (data.currency = 'usd')), 'data.currency'],
      ['no customer', withData((data) => delete data.customer), 'data.customer'],
      [
        'a malformed email',
        withData((data) => (data.customer = { email: 'ana.lima@', name: 'Ana', company: null })),
        'data.customer.email',
      ],
      [
        'a customer without name',
        withData((data) => (data.customer = { email: 'ana@example.com', company: null })),
        'data.customer.name',
      ],
      ['no items', withData((data) => (data.items = [])), 'data.items'],
      ['items not a list', withData((data) => (data.items = { sku: 'X' })), 'data.items'],
      ['quantity 0', item({ quantity: 0 }), 'data.items[0].quantity'],
      ['a fractional quantity', item({ quantity: 1.5 }), 'data.items[0].quantity'],
      ['money as a float', item({ unitPrice: 1249.0 }), 'data.items[0].unitPrice'],
      ['money with grouping', item({ unitPrice: '1,249.00' }), 'data.items[0].unitPrice'],
      ['money with five decimals', item({ unitPrice: '1249.00001' }), 'data.items[0].unitPrice'],
      ['a negative total', withData((data) => (data.total = '-1.00')), 'data.total'],
      ['a SKU with spaces', item({ sku: 'BARCODE JS' }), 'data.items[0].sku'],
      ['an unknown field in data', withData((data) => (data.coupon = 'X')), 'data.coupon'],
      ['an unknown field in an item', item({ color: 'blue' }), 'data.items[0].color'],
      [
        'a NUL character',
        withData((data) => (data.customer = { email: 'ana@example.com', name: 'Ana\u0000', company: null })),
        'data.customer.name',
      ],
      [
        'a refund without refundedAt',
        { type: 'order.refunded', data: { orderId: 'ST-1', reason: null } },
        'data.refundedAt',
      ],
    ];

    it.each(cases)('400 for %s', async (_, payload, field) => {
      const before = await storedCounts(db.url);
      const answer = await deliver(service.url, secret, payload);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const errors = answer.body.errors as { field: string; message: string }[];
      expect(errors.map((error) => error.field)).toContain(field);
      expect(await storedCounts(db.url)).toEqual(before);
    });

    it('400 for a body that is not JSON', async () => {
      const before = await storedCounts(db.url);
      const answer = await deliver(service.url, secret, '{"type": "order.completed", ');
      expect(answer.status).toBe(400);
      expect(answer.body.detail).toMatch(/not valid JSON/);
      expect(await storedCounts(db.url)).toEqual(before);
    });
  });

  it('answers 415 to a body that is not sent as JSON and stores nothing', async () => {
    const before = await storedCounts(db.url);
    const body = JSON.stringify(storeOrder(newOrderId()));
    const answer = await post(service.url, body, {
      ...signStoreWebhook(secret, body),
      'content-type': 'text/plain',
    });
    expect(answer.status).toBe(415);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await storedCounts(db.url)).toEqual(before);
  });

  it('answers 413 to a 300 KiB body and stores nothing', async () => {
    const before = await storedCounts(db.url);
    const order = storeOrder(newOrderId(), { note: 'x'.repeat(300 * 1024) });
    const answer = await deliver(service.url, secret, order);
    expect(answer.status).toBe(413);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await storedCounts(db.url)).toEqual(before);
  });

  it('acknowledges and keeps a type it does not handle, publishing nothing', async () => {
    const before = await storedCounts(db.url);
    const answer = await deliver(service.url, secret, {
      type: 'customer.updated',
      data: { id: randomUUID() },
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ status: 'ignored', type: 'customer.updated' });
    expect(await storedCounts(db.url)).toEqual({ events: before.events, deliveries: before.deliveries + 1 });
  });

  it('records an order in a zero-decimal currency as given', async () => {
    const order = storeOrder(newOrderId(), {
      currency: 'JPY',
      items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 1, unitPrice: '189000' }],
      total: '189000',
    });
    const answer = await deliver(service.url, secret, order);
    expect(answer.status).toBe(202);
    await waitForEvents(answer.body.purchaseId as string, 1);
    expect(eventsOf(answer.body.purchaseId as string)[0]!.data).toMatchObject({
      currency: 'JPY',
      total: '189000',
      items: [{ unitPrice: '189000' }],
    });
  });

  it('records an order with a SKU missing from the catalog', async () => {
    const order = storeOrder(newOrderId(), {
      items: [{ sku: 'NEW-PRODUCT-2027', quantity: 1, unitPrice: '10.00' }],
      total: '10.00',
    });
    const answer = await deliver(service.url, secret, order);
    expect(answer.status).toBe(202);
    await waitForEvents(answer.body.purchaseId as string, 1);
    expect(eventsOf(answer.body.purchaseId as string)[0]!.data).toMatchObject({
      items: [{ sku: 'NEW-PRODUCT-2027' }],
    });
  });

  it('keeps a refund that arrives before its order and applies it when the order arrives', async () => {
    const orderId = newOrderId();
    const refund = await deliver(service.url, secret, storeRefund(orderId));
    expect(refund.status).toBe(202);
    const purchaseId = refund.body.purchaseId as string;
    // Held, not published: nothing public is stored (and the order's events below come first on Kafka).
    expect(await storedTypes(purchaseId)).toEqual([]);

    const order = await deliver(service.url, secret, storeOrder(orderId));
    expect(order.body.purchaseId).toBe(purchaseId);
    await recorder.waitFor(
      (records) => purchaseEvents(records, purchaseId).some((event) => event.type === 'purchase.refunded.v1'),
      'the held refund',
    );
    const events = eventsOf(purchaseId);
    expect(events.map((event) => event.type)).toEqual(['purchase.recorded.v1', 'purchase.refunded.v1']);
    expect(events[1]!.data).toMatchObject({
      purchaseId,
      channel: 'store',
      externalRef: orderId,
      reason: 'customer request',
    });
  });

  it('refunds a recorded order once, however often the refund arrives', async () => {
    const orderId = newOrderId();
    const { body } = await deliver(service.url, secret, storeOrder(orderId));
    const purchaseId = body.purchaseId as string;
    const refunds = [
      await deliver(service.url, secret, storeRefund(orderId)),
      await deliver(service.url, secret, storeRefund(orderId)),
    ];
    expect(refunds.map((refund) => [refund.status, refund.body.purchaseId])).toEqual([
      [202, purchaseId],
      [202, purchaseId],
    ]);
    expect(await storedTypes(purchaseId)).toEqual(['purchase.recorded.v1', 'purchase.refunded.v1']);
    await waitForEvents(purchaseId, 2);
    expect(eventsOf(purchaseId).map((event) => event.type)).toEqual([
      'purchase.recorded.v1',
      'purchase.refunded.v1',
    ]);
  });

  it('serves health, metrics and its OpenAPI document', async () => {
    await expectServiceSurface(service.url, {
      paths: ['/v1/webhooks/store'],
      metrics: [
        /http_requests_total\{[^}]*route="\/v1\/webhooks\/store"[^}]*status="202"/,
        /store_webhook_deliveries_total\{[^}]*result="accepted"/,
        /forwarder_lag_seconds/,
      ],
    });
  });
});
