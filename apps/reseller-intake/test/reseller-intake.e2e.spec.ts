import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { assertValidEvent, parseCloudEvent, topics, type PublicCloudEvent } from '@otl/contracts';
import {
  MailCatcher,
  TopicRecorder,
  callJson,
  createResellerKey,
  createTestDatabase,
  eventually,
  mailedLink,
  resellerKeyCommand,
  startPlatform,
  startService,
  testKafka,
  uniqueName,
  type Platform,
  type ResellerKey,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';
import { newRef, order, place, resellerCall, serviceEnv } from './support';

const PASSWORD = 'correct horse battery staple';
const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));

describe('reseller-intake (running services, real Postgres, Kafka and SMTP catcher)', () => {
  const mail = new MailCatcher();
  const group = uniqueName('ri-e2e');
  let platform: Platform;
  let db: TestDatabase;
  let sql: Client;
  let recorder: TopicRecorder;
  /** Two instances on one database and consumer group, as a deployment runs them. */
  let a: RunningService;
  let b: RunningService;
  let acme: ResellerKey;
  let bolt: ResellerKey;

  beforeAll(async () => {
    [platform, db] = await Promise.all([
      startPlatform({ label: 'ri_e2e' }),
      createTestDatabase('ri_e2e_reseller'),
    ]);
    recorder = await new TopicRecorder(testKafka('reseller-intake-e2e'), [
      topics.purchases,
      topics.accounts,
    ]).start();
    [a, b] = await Promise.all([
      startService('reseller-intake', serviceEnv(db.url, group)),
      startService('reseller-intake', serviceEnv(db.url, group)),
    ]);
    [acme, bolt] = await Promise.all([
      createResellerKey(db.url, `Acme Resale ${randomUUID().slice(0, 6)}`),
      createResellerKey(db.url, `Bolt Distribution ${randomUUID().slice(0, 6)}`),
    ]);
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  }, 180_000);

  afterAll(async () => {
    await sql?.end();
    await Promise.all([a?.stop(), b?.stop()]);
    await recorder?.stop();
    await platform?.stop();
    await db?.drop();
  });

  const eventsOf = (purchaseId: string, type: string): PublicCloudEvent[] =>
    recorder.records
      // Other specs plant malformed records on these topics; ours are parsed strictly.
      .filter((record) => record.value.includes(purchaseId))
      .map((record) => parseCloudEvent(record.value))
      .filter(
        (event) => event.type === type && (event.data as { purchaseId?: string }).purchaseId === purchaseId,
      );
  const ordersWithRef = async (ref: string) =>
    Number(
      (
        await sql.query<{ n: string }>(
          'SELECT count(*)::text AS n FROM reseller_orders WHERE reseller_order_ref = $1',
          [ref],
        )
      ).rows[0]?.n,
    );

  it('records one purchase.recorded.v1; the customer gets an account and the items; the order becomes assigned', async () => {
    const body = order();
    const placed = await place(a.url, acme.key, body);
    expect(placed.status).toBe(201);
    const { orderId, purchaseId } = placed.body as { orderId: string; purchaseId: string };
    expect(placed.body).toEqual({ orderId, purchaseId, status: 'recorded' });
    expect(placed.headers.get('location')).toBe(`/v1/reseller/orders/${orderId}`);
    expect(placed.headers.get('idempotent-replayed')).toBeNull();

    await recorder.waitFor(
      () => eventsOf(purchaseId, 'purchase.recorded.v1').length > 0,
      'purchase.recorded.v1',
    );
    const [recorded] = eventsOf(purchaseId, 'purchase.recorded.v1');
    assertValidEvent(recorded!);
    expect(recorded!.source).toBe('/reseller-intake');
    expect(recorded!.subject).toBe(purchaseId);
    expect(recorded!.data).toMatchObject({
      purchaseId,
      channel: 'reseller',
      externalRef: body.resellerOrderRef,
      resellerId: acme.resellerId,
      customer: body.customer,
      currency: 'USD',
      total: '3397.00',
    });

    // account assigns it; the order, read on the other instance, says so.
    const assigned = await eventually(
      async () => {
        const answer = await resellerCall(b.url, 'GET', `/v1/reseller/orders/${orderId}`, acme.key);
        return answer.body.status === 'assigned' ? answer : undefined;
      },
      { what: 'the order to become assigned', timeoutMs: 40_000 },
    );
    expect(assigned.body).toMatchObject({
      orderId,
      purchaseId,
      resellerOrderRef: body.resellerOrderRef,
      customer: body.customer,
      refundedAt: null,
    });
    expect(typeof assigned.body.assignedAt).toBe('string');
    expect(eventsOf(purchaseId, 'purchase.assigned.v1')).toHaveLength(1);

    // The customer sets a password from the mail and finds the items in the account.
    const [mailed] = await mail.waitFor(body.customer.email, 1, 60_000);
    const { token } = mailedLink(mailed!, '/set-password');
    const confirmed = await callJson(
      platform.account.url,
      'POST',
      '/v1/auth/password-reset/confirm',
      undefined,
      {
        token,
        password: PASSWORD,
      },
    );
    expect(confirmed.status).toBe(204);
    const signIn = await callJson(platform.account.url, 'POST', '/v1/auth/token', undefined, {
      email: body.customer.email,
      password: PASSWORD,
    });
    const buyerToken = signIn.body.accessToken as string;
    const items = await eventually(
      async () => {
        const answer = await callJson(platform.license.url, 'GET', '/v1/license-items', buyerToken);
        const mine = (answer.body as unknown as { purchaseId: string; sku: string; status: string }[]).filter(
          (item) => item.purchaseId === purchaseId,
        );
        return mine.length === 2 ? mine : undefined;
      },
      { what: "the customer's items", timeoutMs: 40_000 },
    );
    expect(items.map((item) => [item.sku, item.status]).sort()).toEqual([
      ['BARCODE-JS-DEVICE-1Y', 'available'],
      ['WEBTWAIN-PRO-DOMAIN-1Y', 'available'],
    ]);
    await settle();
    expect(eventsOf(purchaseId, 'purchase.recorded.v1')).toHaveLength(1);
  }, 150_000);

  it('replays the first answer for the same key and body, on any instance; another body is 422', async () => {
    const body = order();
    const key = randomUUID();
    const first = await place(a.url, acme.key, body, key);
    expect(first.status).toBe(201);
    // The same body written differently (keys reordered) is the same request.
    const reordered = {
      total: body.total,
      currency: body.currency,
      items: body.items,
      customer: body.customer,
      resellerOrderRef: body.resellerOrderRef,
    };
    const replay = await place(b.url, acme.key, reordered, key);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('location')).toBe(first.headers.get('location'));

    const other = await place(a.url, acme.key, { ...body, total: '3397.0', items: body.items }, key);
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(other.body.type).toMatch(/idempotency-key-reused$/);

    // The same ref under a new key: 409 naming the order, and that answer is replayed too.
    const newKey = randomUUID();
    const taken = await place(b.url, acme.key, body, newKey);
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ existingOrderId: first.body.orderId });
    expect(taken.body.type).toMatch(/reseller-order-ref-taken$/);
    expect(taken.headers.get('location')).toBe(first.headers.get('location'));
    const takenAgain = await place(a.url, acme.key, body, newKey);
    expect([takenAgain.status, takenAgain.body]).toEqual([409, taken.body]);
    expect(takenAgain.headers.get('idempotent-replayed')).toBe('true');

    expect(await ordersWithRef(body.resellerOrderRef)).toBe(1);
    await recorder.waitFor(
      () => eventsOf(first.body.purchaseId as string, 'purchase.recorded.v1').length > 0,
      'purchase.recorded.v1',
    );
    await settle();
    expect(eventsOf(first.body.purchaseId as string, 'purchase.recorded.v1')).toHaveLength(1);
  }, 60_000);

  it('gives 20 concurrent requests with one key one order, and 19 replays or 409s', async () => {
    const body = order();
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_v, i) => place(i % 2 === 0 ? a.url : b.url, acme.key, body, key)),
    );
    const fresh = answers.filter(
      (answer) => answer.status === 201 && !answer.headers.get('idempotent-replayed'),
    );
    const replays = answers.filter(
      (answer) => answer.status === 201 && answer.headers.get('idempotent-replayed'),
    );
    const inFlight = answers.filter((answer) => answer.status === 409);
    expect(fresh).toHaveLength(1);
    expect(replays.length + inFlight.length).toBe(19);
    for (const replay of replays) expect(replay.body).toEqual(fresh[0]!.body);
    for (const busy of inFlight) {
      expect(busy.body.type).toMatch(/idempotency-key-in-flight$/);
      expect(busy.headers.get('retry-after')).toBe('1');
    }
    expect(await ordersWithRef(body.resellerOrderRef)).toBe(1);
    // Once the first has answered, every retry replays it.
    const later = await place(b.url, acme.key, body, key);
    expect([later.status, later.body]).toEqual([201, fresh[0]!.body]);
    const purchaseId = fresh[0]!.body.purchaseId as string;
    await recorder.waitFor(
      () => eventsOf(purchaseId, 'purchase.recorded.v1').length > 0,
      'purchase.recorded.v1',
    );
    await settle();
    expect(eventsOf(purchaseId, 'purchase.recorded.v1')).toHaveLength(1);
  }, 60_000);

  it('replays the committed answer after the service is SIGKILLed between commit and answer', async () => {
    const doomed = await startService(
      'reseller-intake',
      serviceEnv(db.url, group, { RESELLER_FAILPOINT: 'kill-after-order-commit' }),
    );
    const body = order();
    const key = randomUUID();
    // The process dies after its transaction commits and before a byte of the answer is written.
    await expect(place(doomed.url, acme.key, body, key)).rejects.toThrow();
    await doomed.kill();
    expect(doomed.process.signalCode).toBe('SIGKILL');
    const { rows } = await sql.query<{ order_id: string; state: string }>(
      `SELECT o.order_id, k.state FROM reseller_orders o
         JOIN reseller_idempotency_keys k ON k.reseller_id = o.reseller_id AND k.idempotency_key = $2
        WHERE o.reseller_order_ref = $1`,
      [body.resellerOrderRef, key],
    );
    expect(rows).toEqual([{ order_id: expect.any(String), state: 'done' }]);

    // The client's retry, on another instance, gets the answer the dead one never sent.
    const retry = await place(a.url, acme.key, body, key);
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ orderId: rows[0]!.order_id, status: 'recorded' });
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const purchaseId = retry.body.purchaseId as string;
    // The live instances' forwarder publishes what the dead one committed, once. The dead one never
    // sent its wake-up NOTIFY, so this can take the forwarder's idle poll (30 s).
    await recorder.waitFor(
      () => eventsOf(purchaseId, 'purchase.recorded.v1').length > 0,
      'purchase.recorded.v1',
      45_000,
    );
    await settle();
    expect(eventsOf(purchaseId, 'purchase.recorded.v1')).toHaveLength(1);
    expect(await ordersWithRef(body.resellerOrderRef)).toBe(1);
  }, 90_000);

  it("keeps resellers apart: neither reads, lists or refunds the other's orders (404)", async () => {
    const ref = newRef();
    const mine = await place(a.url, acme.key, order({ resellerOrderRef: ref }));
    // The same ref is another reseller's own business.
    const theirs = await place(b.url, bolt.key, order({ resellerOrderRef: ref }));
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.body.purchaseId).not.toBe(mine.body.purchaseId);
    const id = mine.body.orderId as string;

    const read = await resellerCall(a.url, 'GET', `/v1/reseller/orders/${id}`, bolt.key);
    const refund = await resellerCall(b.url, 'POST', `/v1/reseller/orders/${id}/refund`, bolt.key, {
      body: { reason: 'not mine' },
    });
    const missing = await resellerCall(a.url, 'GET', `/v1/reseller/orders/${randomUUID()}`, bolt.key);
    expect([read.status, refund.status, missing.status]).toEqual([404, 404, 404]);
    // A foreign order and no order at all answer alike.
    expect(read.body).toEqual(missing.body);
    const boltsList = await resellerCall(a.url, 'GET', '/v1/reseller/orders?limit=100', bolt.key);
    const listed = (boltsList.body.orders as { orderId: string }[]).map((o) => o.orderId);
    expect(listed).toContain(theirs.body.orderId);
    expect(listed).not.toContain(id);
    // Acme's order is untouched.
    const still = await resellerCall(a.url, 'GET', `/v1/reseller/orders/${id}`, acme.key);
    expect(still.body.refundedAt).toBeNull();
  }, 60_000);

  it('refunds: status refunded and one purchase.refunded.v1; a second refund is a no-op', async () => {
    const placed = await place(a.url, acme.key, order());
    const { orderId, purchaseId } = placed.body as { orderId: string; purchaseId: string };
    const path = `/v1/reseller/orders/${orderId}/refund`;
    const noReason = await resellerCall(a.url, 'POST', path, acme.key, { body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
    const refunded = await resellerCall(a.url, 'POST', path, acme.key, {
      body: { reason: 'Customer cancelled' },
    });
    expect(refunded.status).toBe(200);
    expect(refunded.body).toMatchObject({ orderId, status: 'refunded', refundReason: 'Customer cancelled' });
    const again = await resellerCall(b.url, 'POST', path, acme.key, { body: { reason: 'again' } });
    // The same order (its assignment may be noted in between), refunded once, the first reason kept.
    expect([again.status, { ...again.body, assignedAt: null }]).toEqual([
      200,
      { ...refunded.body, assignedAt: null },
    ]);
    await recorder.waitFor(
      () => eventsOf(purchaseId, 'purchase.refunded.v1').length > 0,
      'purchase.refunded.v1',
    );
    const [event] = eventsOf(purchaseId, 'purchase.refunded.v1');
    assertValidEvent(event!);
    expect(event!.data).toMatchObject({ purchaseId, channel: 'reseller', reason: 'Customer cancelled' });
    // The assignment that arrives afterwards leaves it refunded.
    await eventually(
      async () => {
        const answer = await resellerCall(a.url, 'GET', `/v1/reseller/orders/${orderId}`, acme.key);
        return answer.body.assignedAt ? answer : undefined;
      },
      { what: 'the assignment to be noted', timeoutMs: 40_000 },
    ).then((answer) => expect(answer.body.status).toBe('refunded'));
    await settle();
    expect(eventsOf(purchaseId, 'purchase.refunded.v1')).toHaveLength(1);
  }, 90_000);

  it('pages newest first, and orders placed while paging do not shift the pages still to come', async () => {
    const paging = await createResellerKey(db.url, `Paging Partner ${randomUUID().slice(0, 6)}`);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await place(a.url, paging.key, order())).body.orderId as string);
    const newestFirst = [...ids].reverse();
    const page = (cursor?: string) =>
      resellerCall(
        b.url,
        'GET',
        `/v1/reseller/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        paging.key,
      );
    const first = await page();
    expect((first.body.orders as { orderId: string }[]).map((o) => o.orderId)).toEqual(
      newestFirst.slice(0, 2),
    );
    await place(a.url, paging.key, order()); // placed while the client pages
    const second = await page(first.body.nextCursor as string);
    expect((second.body.orders as { orderId: string }[]).map((o) => o.orderId)).toEqual(
      newestFirst.slice(2, 4),
    );
    const third = await page(second.body.nextCursor as string);
    expect((third.body.orders as { orderId: string }[]).map((o) => o.orderId)).toEqual(newestFirst.slice(4));
    expect(third.body.nextCursor).toBeNull();
    const bad = await resellerCall(b.url, 'GET', '/v1/reseller/orders?limit=101', paging.key);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
  }, 60_000);

  it('refuses a revoked key on the next request on another instance; list-keys shows it, never a secret', async () => {
    const name = `Revoked Reseller ${randomUUID().slice(0, 6)}`;
    const key = await createResellerKey(db.url, name);
    expect(key.output).toContain(', new.');
    // A second key for the same reseller (names compare case-insensitively): how a key is rotated.
    const rotated = await createResellerKey(db.url, name.toUpperCase());
    expect(rotated.resellerId).toBe(key.resellerId);
    expect(rotated.output).not.toContain(', new.');
    expect(rotated.output).toContain(`Reseller ${name} (`);
    const placed = await place(a.url, key.key, order());
    expect((await resellerCall(a.url, 'GET', '/v1/reseller/orders', key.key)).status).toBe(200);
    const revoked = await resellerKeyCommand(db.url, 'revoke-key', ['--key-id', key.keyId]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Key ${key.keyId}`);
    const refused = await resellerCall(b.url, 'GET', '/v1/reseller/orders', key.key);
    const unknown = await resellerCall(
      b.url,
      'GET',
      '/v1/reseller/orders',
      key.key.replace(/_[0-9A-Za-z]{46}$/, `_${'a'.repeat(46)}`),
    );
    expect([refused.status, unknown.status]).toEqual([401, 401]);
    expect(refused.body).toEqual(unknown.body);
    // The reseller's other key still works, and sees the order placed with the revoked one.
    const seen = await resellerCall(
      b.url,
      'GET',
      `/v1/reseller/orders/${placed.body.orderId as string}`,
      rotated.key,
    );
    expect([seen.status, seen.body.orderId]).toEqual([200, placed.body.orderId]);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const listing = await resellerKeyCommand(db.url, 'list-keys');
    const line = listing.stdout.split('\n').find((row) => row.startsWith(key.keyId));
    // id, reseller, created, last used, revoked: all filled in.
    expect(line).toMatch(/\d{4}-\d\d-\d\dT\S+Z\s+\d{4}-\d\d-\d\dT\S+Z\s+\d{4}-\d\d-\d\dT\S+Z$/);
    expect(listing.stdout).not.toMatch(/rsk_/);
    expect((await resellerKeyCommand(db.url, 'revoke-key', ['--key-id', 'nosuchkey123'])).code).toBe(65);
  }, 60_000);

  it('limits each key on its own, shared across instances: 429 with retry-after and the RateLimit headers', async () => {
    const limitedGroup = uniqueName('ri-e2e-limited');
    const [c, d] = await Promise.all([
      startService('reseller-intake', serviceEnv(db.url, limitedGroup, { RESELLER_RATE_LIMIT: '3/60' })),
      startService('reseller-intake', serviceEnv(db.url, limitedGroup, { RESELLER_RATE_LIMIT: '3/60' })),
    ]);
    try {
      const [one, two] = await Promise.all([
        createResellerKey(db.url, `Limited One ${randomUUID().slice(0, 6)}`),
        createResellerKey(db.url, `Limited Two ${randomUUID().slice(0, 6)}`),
      ]);
      const answers = [];
      for (const url of [c.url, d.url, c.url, d.url])
        answers.push(await resellerCall(url, 'GET', '/v1/reseller/orders', one.key));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429]);
      expect(answers.map((answer) => answer.headers.get('ratelimit'))).toEqual([
        expect.stringMatching(/^"per-key";r=2;t=\d+$/),
        expect.stringMatching(/^"per-key";r=1;t=\d+$/),
        expect.stringMatching(/^"per-key";r=0;t=\d+$/),
        expect.stringMatching(/^"per-key";r=0;t=\d+$/),
      ]);
      for (const answer of answers) expect(answer.headers.get('ratelimit-policy')).toBe('"per-key";q=3;w=60');
      const limited = answers[3]!;
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(20);
      expect(limited.body.type).toMatch(/rate-limited$/);
      // An order refused by the limit stores nothing.
      const refusedOrder = order();
      expect((await place(c.url, one.key, refusedOrder)).status).toBe(429);
      expect(await ordersWithRef(refusedOrder.resellerOrderRef)).toBe(0);
      // The other reseller's key has its own quota.
      const other = await resellerCall(d.url, 'GET', '/v1/reseller/orders', two.key);
      expect([other.status, other.headers.get('ratelimit')]).toEqual([200, expect.stringMatching(/r=2;/)]);
    } finally {
      await Promise.all([c.stop(), d.stop()]);
    }
  }, 90_000);
});
