import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import {
  EventStore,
  createDataSource,
  migrate,
  poolOf,
  type EventTransaction,
  type TransactionOptions,
} from '@otl/event-store';
import { createTestDatabase, storeOrder, storeRefund, type TestDatabase } from '@otl/testing';
import { StoreWebhookDeliveries1764230500000 } from '../infrastructure/migrations/1764230500000-store-webhook-deliveries';
import { purchaseIdForStoreOrder, purchaseStream } from '../purchases/domain/ids';
import { decide, initialState, type StoreOrder } from '../purchases/domain/purchase';
import { parseStoreWebhook } from './parse';
import { StoreWebhookService, type DeliveryResult, type VerifiedDelivery } from './store-webhook.service';

const NOW = new Date('2026-11-27T10:00:05.000Z');
const clock = () => NOW;

/**
 * The real store, with a rival writer that can be let in once a transaction has taken its locks and
 * read its streams, and before it writes: another instance, or a writer that ignores the stream locks.
 */
class StoreWithRival extends EventStore {
  attempts = 0;
  private readonly rivals: (() => Promise<void>)[] = [];

  /** The next transaction lets `rival` run to completion before its own work. */
  letInBeforeNext(rival: () => Promise<void>): void {
    this.rivals.push(rival);
  }

  override transaction<T>(
    options: TransactionOptions,
    work: (tx: EventTransaction) => Promise<T>,
  ): Promise<T> {
    return super.transaction(options, async (tx) => {
      this.attempts++;
      await this.rivals.shift()?.();
      return work(tx);
    });
  }
}

function delivery(payload: unknown, webhookId = `msg_${randomUUID()}`): VerifiedDelivery {
  const body = JSON.stringify(payload);
  return {
    webhookId,
    webhookTimestamp: Math.floor(NOW.getTime() / 1000),
    headers: { 'webhook-id': webhookId, 'content-type': 'application/json' },
    body,
    payload: parseStoreWebhook(Buffer.from(body)),
    correlationId: randomUUID(),
  };
}

const newOrderId = () => `ST-${randomUUID().slice(0, 13)}`;

describe('StoreWebhookService on real Postgres', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let store: StoreWithRival;
  let service: StoreWebhookService;
  /** A second instance on the same database, with its own queue and batches. */
  let other: StoreWebhookService;

  beforeAll(async () => {
    db = await createTestDatabase('store_webhook_service');
    dataSource = createDataSource({ url: db.url, migrations: [StoreWebhookDeliveries1764230500000] });
    await dataSource.initialize();
    await migrate(dataSource);
    pool = poolOf(dataSource);
    store = new StoreWithRival(pool);
    service = new StoreWebhookService(store, clock);
    other = new StoreWebhookService(new EventStore(pool), clock);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  beforeEach(() => {
    store.attempts = 0;
  });

  const typesOf = async (orderId: string) =>
    (
      await pool.query<{ type: string }>(
        'SELECT type FROM es_events WHERE stream_id = $1 ORDER BY stream_position',
        [purchaseStream(purchaseIdForStoreOrder(orderId))],
      )
    ).rows.map((row) => row.type);
  const deliveriesOf = async (orderId: string) =>
    (
      await pool.query<{ webhook_id: string; outcome: string; redeliveries: number }>(
        'SELECT webhook_id, outcome, redeliveries FROM store_webhook_deliveries WHERE order_id = $1',
        [orderId],
      )
    ).rows;
  const outcomes = (results: DeliveryResult[]) => results.map((result) => result.outcome).sort();

  it('records one purchase for one order delivered at once under 20 webhook-ids to two instances', async () => {
    const orderId = newOrderId();
    const deliveries = Array.from({ length: 20 }, () => delivery(storeOrder(orderId)));
    const results = await Promise.all(
      deliveries.map((each, index) => (index % 2 === 0 ? service : other).receive(each)),
    );

    const purchaseId = purchaseIdForStoreOrder(orderId);
    expect(results.map((result) => result.answer)).toEqual(deliveries.map(() => ({ purchaseId })));
    expect(outcomes(results)).toEqual([...Array(19).fill('order-already-recorded'), 'recorded']);
    expect(await typesOf(orderId)).toEqual(['purchase.recorded.v1']);
    const rows = await deliveriesOf(orderId);
    expect(rows.map((row) => row.webhook_id).sort()).toEqual(deliveries.map((each) => each.webhookId).sort());
    // Group commit: deliveries queued behind the four in flight of an instance share one transaction.
    const { rows: transactions } = await pool.query<{ count: string }>(
      'SELECT count(DISTINCT xmin::text) AS count FROM store_webhook_deliveries WHERE order_id = $1',
      [orderId],
    );
    expect(Number(transactions[0]!.count)).toBeLessThan(20);
  });

  it('holds a refund that comes before its order, applies it with the order, and records each once', async () => {
    const orderId = newOrderId();
    expect((await service.receive(delivery(storeRefund(orderId)))).outcome).toBe('refund-held');
    expect(await typesOf(orderId)).toEqual(['store.refund-held.v1']);
    expect((await service.receive(delivery(storeRefund(orderId)))).outcome).toBe('refund-already-recorded');

    expect((await other.receive(delivery(storeOrder(orderId)))).outcome).toBe('recorded');
    expect(await typesOf(orderId)).toEqual([
      'store.refund-held.v1',
      'purchase.recorded.v1',
      'purchase.refunded.v1',
    ]);

    expect((await service.receive(delivery(storeOrder(orderId)))).outcome).toBe('order-already-recorded');
    expect((await other.receive(delivery(storeRefund(orderId)))).outcome).toBe('refund-already-recorded');
    expect(await typesOf(orderId)).toEqual([
      'store.refund-held.v1',
      'purchase.recorded.v1',
      'purchase.refunded.v1',
    ]);
  });

  it('records order and refund once each when they arrive at the same moment, in either order', async () => {
    const orderIds = Array.from({ length: 10 }, newOrderId);
    await Promise.all(
      orderIds.flatMap((orderId, index) => [
        (index % 2 === 0 ? service : other).receive(delivery(storeRefund(orderId))),
        (index % 2 === 0 ? other : service).receive(delivery(storeOrder(orderId))),
      ]),
    );
    for (const orderId of orderIds) {
      const published = (await typesOf(orderId)).filter((type) => type.startsWith('purchase.'));
      expect({ orderId, published }).toEqual({
        orderId,
        published: ['purchase.recorded.v1', 'purchase.refunded.v1'],
      });
    }
  });

  it('retries an append that lost to a writer ignoring the stream lock, deciding again on what it stored', async () => {
    const orderId = newOrderId();
    const purchaseId = purchaseIdForStoreOrder(orderId);
    const rivalEventId = randomUUID();
    const order = storeOrder(orderId).data as StoreOrder;
    const [recorded] = decide({ type: 'RecordStoreOrder', purchaseId, order, now: NOW }, initialState);
    // Commits on its own connection while the service's transaction holds the (advisory) lock.
    store.letInBeforeNext(async () => {
      await pool.query(
        `INSERT INTO es_events (stream_id, stream_position, event_id, type, schema_version, data, metadata)
         VALUES ($1, 1, $2, $3, 1, $4, '{}')`,
        [purchaseStream(purchaseId), rivalEventId, recorded!.type, JSON.stringify(recorded!.data)],
      );
    });

    const result = await service.receive(delivery(storeOrder(orderId)));

    expect(store.attempts).toBe(2);
    expect(result).toEqual({ answer: { purchaseId }, outcome: 'order-already-recorded' });
    const { rows } = await pool.query<{ event_id: string }>(
      'SELECT event_id FROM es_events WHERE stream_id = $1',
      [purchaseStream(purchaseId)],
    );
    expect(rows).toEqual([{ event_id: rivalEventId }]);
    expect((await deliveriesOf(orderId)).map((row) => row.outcome)).toEqual(['order-already-recorded']);
  });

  it('answers a webhook-id another instance records at the same moment as that instance did', async () => {
    const first = delivery({ type: 'order.updated', data: { orderId: newOrderId() } });
    let rivalResult: DeliveryResult | undefined;
    // The other instance commits the same delivery after this one looked for earlier deliveries.
    store.letInBeforeNext(async () => {
      rivalResult = await other.receive(first);
    });

    const result = await service.receive(first);

    expect(store.attempts).toBe(2);
    expect(rivalResult).toEqual({ answer: { status: 'ignored', type: 'order.updated' }, outcome: 'ignored' });
    expect(result).toEqual({ answer: rivalResult!.answer, outcome: 'redelivery' });
    const { rows } = await pool.query<{ outcome: string; redeliveries: number }>(
      'SELECT outcome, redeliveries FROM store_webhook_deliveries WHERE webhook_id = $1',
      [first.webhookId],
    );
    expect(rows).toEqual([{ outcome: 'ignored', redeliveries: 1 }]);
  });

  it('records the rest of a group when the database refuses one delivery in it', async () => {
    // Four deliveries fill an instance's transactions in flight; the next ones queue into one group.
    const ahead = Array.from({ length: 4 }, () => delivery(storeOrder(newOrderId())));
    const refused = { ...delivery(storeOrder(newOrderId())), webhookTimestamp: 1e20 }; // beyond bigint
    const group = Array.from({ length: 5 }, () => delivery(storeOrder(newOrderId())));
    const pending = [...ahead, refused, ...group].map((each) => service.receive(each));
    const settled = await Promise.allSettled(pending);

    expect(settled.map((each) => each.status)).toEqual([
      ...Array(4).fill('fulfilled'),
      'rejected',
      ...Array(5).fill('fulfilled'),
    ]);
    expect((settled[4] as PromiseRejectedResult).reason).toMatchObject({ code: '22003' });
    for (const each of [...ahead, ...group]) {
      const orderId = (each.payload as { order: StoreOrder }).order.orderId;
      expect(await typesOf(orderId)).toEqual(['purchase.recorded.v1']);
      expect((await deliveriesOf(orderId)).map((row) => row.outcome)).toEqual(['recorded']);
    }
    const refusedOrder = (refused.payload as { order: StoreOrder }).order.orderId;
    expect(await typesOf(refusedOrder)).toEqual([]);
    expect(await deliveriesOf(refusedOrder)).toEqual([]);
  });
});
