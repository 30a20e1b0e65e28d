import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { EventStore, createDataSource, migrate, poolOf } from '@otl/event-store';
import { createTestDatabase, type TestDatabase } from '@otl/testing';
import { PoIntakeTables1765400000000 } from '../infrastructure/migrations/1765400000000-po-intake-tables';
import { decodeDocument } from './domain/document';
import type { StaffMember } from './domain/purchase-order';
import { PurchaseOrderMetrics } from './metrics';
import { PurchaseOrderQueries } from './purchase-order-queries';
import { PoNumberTakenError, PurchaseOrdersService, type NewPurchaseOrder } from './purchase-orders.service';

/** A clock the spec moves: overdue is a matter of time passing. */
let now = new Date('2026-12-07T09:00:00.000Z');
const clock = () => now;
/** Due a day after receipt, whatever the calendar: this spec is about the queue, not business days. */
const dueDates = { dueBy: (receivedAt: Date) => new Date(receivedAt.getTime() + 24 * 3600 * 1000) };

const REP: StaffMember = { accountId: '00000000-0000-4000-8000-000000000001', email: 'rep@desk.example' };
const MANAGER: StaffMember = {
  accountId: '00000000-0000-4000-8000-000000000002',
  email: 'boss@desk.example',
};
const PDF = Buffer.from('%PDF-1.4\n% a tiny test document\n%%EOF\n');

function order(poNumber: string, email = 'buyer@example.com'): NewPurchaseOrder {
  return {
    poNumber,
    customer: { email, name: 'Buyer', company: null },
    items: [{ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 1, unitPrice: '1249.00' }],
    currency: 'USD',
    total: '1249.00',
    document: {
      filename: `${poNumber}.pdf`,
      contentType: 'application/pdf',
      decoded: decodeDocument(PDF.toString('base64'), 'application/pdf'),
    },
    submittedBy: REP,
  };
}

const minutes = (n: number) => n * 60 * 1000;

describe('PurchaseOrdersService and the queue on real Postgres', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let registry: Registry;
  let service: PurchaseOrdersService;
  let queries: PurchaseOrderQueries;

  beforeAll(async () => {
    db = await createTestDatabase('po_intake_int');
    dataSource = createDataSource({ url: db.url, migrations: [PoIntakeTables1765400000000] });
    await dataSource.initialize();
    await migrate(dataSource);
    pool = poolOf(dataSource);
    registry = new Registry();
    const metrics = new PurchaseOrderMetrics(registry, pool, clock);
    service = new PurchaseOrdersService(new EventStore(pool), dueDates, clock, metrics);
    queries = new PurchaseOrderQueries(pool, clock);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  const gauge = async (name: string) => {
    const metric = (await registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
    return (metric as { values: { value: number }[] } | undefined)?.values[0]?.value;
  };

  it('keeps the document byte for byte with its SHA-256, outside the event log', async () => {
    const received = await service.submit(order('INT-DOC'));
    const stored = await queries.document(received.purchaseOrderId);
    expect(stored.content.equals(PDF)).toBe(true);
    expect(stored.sha256).toBe(createHash('sha256').update(PDF).digest('hex'));
    expect(stored.size).toBe(PDF.length);
    const { rows } = await pool.query<{ data: string }>(
      `SELECT data::text AS data FROM es_events WHERE stream_id = $1`,
      [`PurchaseOrder-${received.purchaseOrderId}`],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.data).toContain(stored.sha256);
    expect(rows[0]!.data).not.toContain(PDF.toString('base64'));
  });

  it('lists by dueBy, filters by status and overdue, and pages with a cursor', async () => {
    await pool.query('TRUNCATE purchase_orders, po_number_claims, po_documents');
    const start = now;
    const ids: string[] = [];
    // Received a minute apart, so due a minute apart; submitted out of order.
    for (const offset of [3, 0, 5, 1, 4, 2, 6]) {
      now = new Date(start.getTime() + minutes(offset));
      ids[offset] = (await service.submit(order(`INT-Q-${offset}`))).purchaseOrderId;
    }
    await service.approve(ids[1]!, MANAGER);
    await service.reject(ids[4]!, MANAGER, 'unsigned');

    // A day and 3.5 minutes later, the orders received in the first 3.5 minutes are past due.
    now = new Date(start.getTime() + 24 * 3600 * 1000 + minutes(3.5));
    const all = await queries.list({ limit: 50 });
    expect(all.purchaseOrders.map((entry) => entry.poNumber)).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((n) => `INT-Q-${n}`),
    );
    expect(all.nextCursor).toBeNull();
    const overdue = await queries.list({ overdue: true, limit: 50 });
    expect(overdue.purchaseOrders.map((entry) => entry.poNumber)).toEqual(['INT-Q-0', 'INT-Q-2', 'INT-Q-3']);
    expect(overdue.purchaseOrders.every((entry) => entry.overdue)).toBe(true);
    const notOverdue = await queries.list({ overdue: false, limit: 50 });
    expect(notOverdue.purchaseOrders.map((entry) => entry.poNumber)).toEqual([
      'INT-Q-1',
      'INT-Q-4',
      'INT-Q-5',
      'INT-Q-6',
    ]);
    const received = await queries.list({ status: 'received', limit: 50 });
    expect(received.purchaseOrders.map((entry) => entry.poNumber)).toEqual([
      'INT-Q-0',
      'INT-Q-2',
      'INT-Q-3',
      'INT-Q-5',
      'INT-Q-6',
    ]);
    expect(
      (await queries.list({ status: 'rejected', limit: 50 })).purchaseOrders.map((e) => e.poNumber),
    ).toEqual(['INT-Q-4']);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await queries.list({ limit: 3, cursor });
      seen.push(...page.purchaseOrders.map((entry) => entry.poNumber));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(all.purchaseOrders.map((entry) => entry.poNumber));
    await expect(queries.list({ limit: 3, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toThrow(/cursor/);

    expect(await gauge('po_intake_undecided_purchase_orders')).toBe(5);
    expect(await gauge('po_intake_overdue_purchase_orders')).toBe(3);
    await service.approve(ids[0]!, MANAGER);
    expect(await gauge('po_intake_undecided_purchase_orders')).toBe(4);
    expect(await gauge('po_intake_overdue_purchase_orders')).toBe(2);
  });

  it('makes one order of 20 concurrent submissions of one poNumber; the others name it', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => service.submit(order('INT-RACE', 'Racer@Example.com'))),
    );
    const made = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect(made).toHaveLength(1);
    const refused = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    expect(refused).toHaveLength(19);
    for (const reason of refused) {
      expect(reason).toBeInstanceOf(PoNumberTakenError);
      expect((reason as PoNumberTakenError).existingPurchaseOrderId).toBe(made[0]!.purchaseOrderId);
    }
    const { rows } = await pool.query(`SELECT 1 FROM purchase_orders WHERE po_number = 'INT-RACE'`);
    expect(rows).toHaveLength(1);
    const documents = await pool.query(
      `SELECT 1 FROM po_documents d JOIN purchase_orders o USING (purchase_order_id) WHERE o.po_number = 'INT-RACE'`,
    );
    expect(documents.rows).toHaveLength(1);
    expect((await pool.query('SELECT count(*)::int AS n FROM po_documents')).rows[0].n).toBe(
      (await pool.query('SELECT count(*)::int AS n FROM purchase_orders')).rows[0].n,
    );
  });

  it('frees a poNumber on rejection only, for the same customer in any letter case', async () => {
    const first = await service.submit(order('INT-AGAIN', 'again@example.com'));
    await expect(service.submit(order('INT-AGAIN', ' AGAIN@Example.COM '))).rejects.toBeInstanceOf(
      PoNumberTakenError,
    );
    const other = await service.submit(order('INT-AGAIN', 'someone-else@example.com'));
    expect(other.resubmissionOf).toBeNull();
    await service.reject(first.purchaseOrderId, MANAGER, 'wrong quantity');
    const corrected = await service.submit(order('INT-AGAIN', 'Again@example.com'));
    expect(corrected.resubmissionOf).toBe(first.purchaseOrderId);
    await service.approve(corrected.purchaseOrderId, MANAGER);
    await expect(service.submit(order('INT-AGAIN', 'again@example.com'))).rejects.toBeInstanceOf(
      PoNumberTakenError,
    );
  });

  it('takes exactly one decision when managers approve and reject at once; repeats change nothing', async () => {
    const other: StaffMember = {
      accountId: '00000000-0000-4000-8000-000000000003',
      email: 'other@desk.example',
    };
    for (let round = 0; round < 5; round++) {
      const { purchaseOrderId } = await service.submit(order(`INT-RACE-DECIDE-${round}`));
      const results = await Promise.allSettled([
        service.approve(purchaseOrderId, MANAGER),
        service.reject(purchaseOrderId, other, 'duplicate order'),
        service.approve(purchaseOrderId, other),
        service.reject(purchaseOrderId, MANAGER, 'duplicate order'),
      ]);
      const final = await queries.get(purchaseOrderId);
      expect(['approved', 'rejected']).toContain(final.status);
      // Those that agree with the decision answer it; the others lose with already-decided.
      for (const result of results) {
        if (result.status === 'fulfilled') expect(result.value.status).toBe(final.status);
        else expect((result.reason as { code?: string }).code).toBe('already-decided');
      }
      expect(final.history.map((entry) => entry.action)).toEqual(['submitted', final.status]);
      const { rows } = await pool.query<{ type: string }>(
        'SELECT type FROM es_events WHERE stream_id = $1 ORDER BY stream_position',
        [`PurchaseOrder-${purchaseOrderId}`],
      );
      expect(rows.map((row) => row.type)).toEqual(
        final.status === 'approved'
          ? ['purchase-order.received.v1', 'purchase-order.approved.v1', 'purchase.recorded.v1']
          : ['purchase-order.received.v1', 'purchase-order.rejected.v1'],
      );
    }
  });
});
