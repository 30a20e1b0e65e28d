import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { EventStore, createDataSource, migrate, poolOf } from '@otl/event-store';
import { createTestDatabase, type TestDatabase } from '@otl/testing';
import { refTakenAnswer } from '../errors';
import { ResellerIntakeTables1766100000000 } from '../infrastructure/migrations/1766100000000-reseller-intake-tables';
import type { AuthenticatedReseller } from '../keys/key-store';
import { IdempotencyKeys, fingerprintOf } from '../requests/idempotency';
import { OrderMetrics } from './metrics';
import { OrdersService, type NewOrder } from './orders.service';

/** A clock the spec moves: keys expire, leases run out. */
let now = new Date('2026-12-02T10:00:00.000Z');
const clock = () => now;
const HOUR = 3600 * 1000;
const TTL_SECONDS = 24 * 3600;
const LEASE_SECONDS = 30;

const reseller: AuthenticatedReseller = {
  resellerId: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
  resellerName: 'Acme Resale',
  keyId: 'abcdefghijkl',
};

function newOrder(ref = `R-${randomUUID().slice(0, 8)}`): NewOrder {
  return {
    resellerOrderRef: ref,
    customer: { email: 'buyer@example.com', name: 'Buyer', company: null },
    items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 1, unitPrice: '1249.00' }],
    currency: 'USD',
    total: '1249.00',
  };
}

describe('Idempotency-Keys and orders on real Postgres', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let keys: IdempotencyKeys;
  let service: OrdersService;

  beforeAll(async () => {
    db = await createTestDatabase('ri_int');
    dataSource = createDataSource({ url: db.url, migrations: [ResellerIntakeTables1766100000000] });
    await dataSource.initialize();
    await migrate(dataSource);
    pool = poolOf(dataSource);
    keys = new IdempotencyKeys(pool, TTL_SECONDS, LEASE_SECONDS);
    service = new OrdersService(
      new EventStore(pool),
      keys,
      clock,
      new OrderMetrics(new Registry()),
      'none',
      refTakenAnswer,
    );
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const place = (key: string, order: NewOrder) =>
    service.place(reseller, key, fingerprintOf('POST /v1/reseller/orders', order), order);
  const stored = async (key: string) =>
    (
      await pool.query<{ state: string }>(
        'SELECT state FROM reseller_idempotency_keys WHERE reseller_id = $1 AND idempotency_key = $2',
        [reseller.resellerId, key],
      )
    ).rows;
  const ordersWithRef = async (ref: string) =>
    Number(
      (
        await pool.query<{ n: string }>(
          'SELECT count(*)::text AS n FROM reseller_orders WHERE reseller_order_ref = $1',
          [ref],
        )
      ).rows[0]?.n,
    );

  it('keeps a key and its answer 24 hours, then the purge removes it (and only expired ones)', async () => {
    const early = randomUUID();
    const late = randomUUID();
    await place(early, newOrder());
    now = new Date(now.getTime() + HOUR);
    await place(late, newOrder());

    // One second short of 24 h for the first: nothing goes.
    now = new Date(now.getTime() + 23 * HOUR - 1000);
    expect(await keys.purgeExpired(now)).toBe(0);
    expect(await stored(early)).toEqual([{ state: 'done' }]);

    // Just past it: the first goes, the second (an hour younger) stays.
    now = new Date(now.getTime() + 2000);
    expect(await keys.purgeExpired(now)).toBe(1);
    expect(await stored(early)).toEqual([]);
    expect(await stored(late)).toEqual([{ state: 'done' }]);
  });

  it('treats an expired key not yet purged as new; the ref still names the order (409, no second order)', async () => {
    const key = randomUUID();
    const order = newOrder();
    const first = await place(key, order);
    expect(first).toMatchObject({ kind: 'answer', replayed: false, answer: { status: 201 } });
    now = new Date(now.getTime() + 25 * HOUR);
    const again = await place(key, order);
    expect(again).toMatchObject({ kind: 'answer', replayed: false, answer: { status: 409 } });
    if (first.kind !== 'answer' || again.kind !== 'answer') throw new Error('unexpected outcome');
    expect(again.answer.body).toMatchObject({ existingOrderId: first.answer.body.orderId });
    expect(await ordersWithRef(order.resellerOrderRef)).toBe(1);
  });

  it('lets a retry take over a key whose holder died before committing, after the lease only', async () => {
    const key = randomUUID();
    const order = newOrder();
    const fingerprint = fingerprintOf('POST /v1/reseller/orders', order);
    // A holder claims the key and dies: no order, the claim stays in flight.
    const dead = await keys.claim(reseller.resellerId, key, fingerprint, now);
    expect(dead.kind).toBe('claimed');
    expect(await place(key, order)).toEqual({ kind: 'in-flight' });
    // Another body under the key is refused even while it is in flight.
    expect(await place(key, { ...order, total: '1249.0' })).toEqual({ kind: 'other-body' });
    now = new Date(now.getTime() + (LEASE_SECONDS + 1) * 1000);
    const retried = await place(key, order);
    expect(retried).toMatchObject({ kind: 'answer', replayed: false, answer: { status: 201 } });
    expect(await ordersWithRef(order.resellerOrderRef)).toBe(1);
  });

  it('rolls back a holder that outlived its lease and was taken over: one order, the taker’s', async () => {
    const key = randomUUID();
    const order = newOrder();
    const fingerprint = fingerprintOf('POST /v1/reseller/orders', order);
    const slow = await keys.claim(reseller.resellerId, key, fingerprint, now);
    if (slow.kind !== 'claimed') throw new Error('not claimed');
    now = new Date(now.getTime() + (LEASE_SECONDS + 1) * 1000);
    const taker = await place(key, order);
    expect(taker).toMatchObject({ kind: 'answer', answer: { status: 201 } });
    // The slow holder now tries to complete: its claim is gone, the statement raises.
    await expect(
      keys.complete(reseller.resellerId, key, slow.owner, { status: 201, body: {}, location: null }),
    ).rejects.toMatchObject({ code: 'RI001' });
    expect(await ordersWithRef(order.resellerOrderRef)).toBe(1);
  });

  it('releases the key when the request fails before committing, so the retry runs afresh', async () => {
    const key = randomUUID();
    const order = newOrder();
    // The order's transaction fails (its store's database is gone; the keys' is fine): nothing commits.
    const gone = new Pool({ connectionString: db.url.replace(/\/([^/?]+)(\?|$)/, '/no_such_database$2') });
    const broken = new OrdersService(
      new EventStore(gone),
      keys,
      clock,
      new OrderMetrics(new Registry()),
      'none',
      refTakenAnswer,
    );
    await expect(
      broken.place(reseller, key, fingerprintOf('POST /v1/reseller/orders', order), order),
    ).rejects.toThrow(/no_such_database/);
    await gone.end();
    expect(await stored(key)).toEqual([]);
    expect(await place(key, order)).toMatchObject({
      kind: 'answer',
      replayed: false,
      answer: { status: 201 },
    });
  });
});
