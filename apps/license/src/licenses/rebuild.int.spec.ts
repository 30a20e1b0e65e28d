import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PurchaseAssignedV1 } from '@otl/contracts';
import { EventStore, createDataSource, migrate, poolOf } from '@otl/event-store';
import { createTestDatabase, type TestDatabase } from '@otl/testing';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { Catalog } from '../catalog/catalog';
import { licenseMigrations } from '../infrastructure/migrations';
import { PurchaseItems } from '../purchases/purchase-items.service';
import { LicensingService } from './licensing.service';
import { rebuildReadModels } from './rebuild';

const catalog = Catalog.parse(
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'catalog.v1.json'), 'utf8')),
);
const now = () => new Date('2026-12-01T10:00:00.000Z');

/** The rebuild from the log against the read models the live path wrote (real Postgres). */
describe('license read-model rebuild (real Postgres)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let store: EventStore;
  let purchases: PurchaseItems;

  const assign = (accountId: string, skus: string[]) => {
    const event: PurchaseAssignedV1 = {
      purchaseId: randomUUID(),
      accountId,
      channel: 'store',
      externalRef: `ST-${randomUUID().slice(0, 8)}`,
      items: skus.map((sku) => ({ itemId: randomUUID(), sku, quantity: 2, unitPrice: '10.00' })),
      assignedAt: '2026-12-01T09:00:00.000Z',
    };
    return store
      .transaction({ lockStreams: PurchaseItems.assignmentLocks(event), prefetch: true }, async (tx) =>
        tx.commitWith(await purchases.onAssigned(tx, event)),
      )
      .then(() => event);
  };
  const snapshot = async () => ({
    items: (await pool.query('SELECT * FROM license_items ORDER BY item_id')).rows,
    licenses: (await pool.query('SELECT * FROM licenses ORDER BY license_id')).rows,
  });

  beforeAll(async () => {
    db = await createTestDatabase('license_rebuild_int');
    dataSource = createDataSource({ url: db.url, migrations: licenseMigrations });
    await dataSource.initialize();
    await migrate(dataSource);
    pool = poolOf(dataSource);
    store = new EventStore(pool);
    purchases = new PurchaseItems(catalog, now);
    const licensing = new LicensingService(store, now);
    // Every state the read models show: available, needs-review, licensed, refunded items; generated,
    // activated (vendor- and self-hosted, 1y and perpetual) and revoked licences.
    const accountId = randomUUID();
    await assign(accountId, ['BARCODE-JS-DEVICE-1Y', 'NO-SUCH-SKU']);
    const two = await assign(accountId, ['BARCODE-JS-DEVICE-1Y', 'BARCODE-SERVER-INSTANCE-PERP']);
    const vendor = await licensing.generate(
      accountId,
      two.items.map((item) => item.itemId),
    );
    await licensing.activate(accountId, vendor.licenseId, { trackingMode: 'vendor-hosted' });
    const one = await assign(accountId, ['WEBTWAIN-PRO-DOMAIN-1Y']);
    const self = await licensing.generate(accountId, [one.items[0]!.itemId]);
    await licensing.activate(accountId, self.licenseId, {
      trackingMode: 'self-hosted',
      ltsInstanceId: 'lts-1',
    });
    const refunded = await assign(randomUUID(), ['BARCODE-JS-DEVICE-1Y']);
    await licensing.generate(refunded.accountId, [refunded.items[0]!.itemId]);
    const refund = {
      purchaseId: refunded.purchaseId,
      channel: 'store' as const,
      externalRef: refunded.externalRef,
      refundedAt: '2026-12-01T11:00:00.000Z',
      reason: 'customer request',
    };
    await store.transaction({ lockStreams: PurchaseItems.refundLocks(refund), prefetch: true }, async (tx) =>
      tx.commitWith(await purchases.onRefunded(tx, refund)),
    );
    const idle = await assign(randomUUID(), ['BARCODE-JS-DEVICE-1Y', 'BARCODE-JS-DEVICE-1Y']);
    await licensing.generate(
      idle.accountId,
      idle.items.map((item) => item.itemId),
    );
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('writes exactly the rows the live path wrote, whatever the batch size', async () => {
    const live = await snapshot();
    expect(live.items.map((item) => item.status).sort()).toEqual([
      'available',
      'licensed',
      'licensed',
      'licensed',
      'licensed',
      'licensed',
      'needs-review',
      'refunded',
    ]);
    expect(live.licenses.map((license) => license.status).sort()).toEqual([
      'activated',
      'activated',
      'generated',
      'revoked',
    ]);
    // Batch sizes that cut streams at every place: a stream's events then span two fetches.
    for (const batchSize of [1, 2, 3, 5, 10_000]) {
      const result = await rebuildReadModels(pool, { batchSize });
      expect(result).toEqual({ events: expect.any(Number), items: 8, licenses: 4 });
      expect(await snapshot()).toEqual(live);
    }
  });

  it('starts from empty tables: a row with no stream behind it is gone', async () => {
    const live = await snapshot();
    await pool.query(
      `INSERT INTO licenses (license_id, account_id, status, items, generated_at)
       VALUES ($1, $2, 'generated', '[]', now())`,
      [randomUUID(), randomUUID()],
    );
    await rebuildReadModels(pool, { batchSize: 4 });
    expect(await snapshot()).toEqual(live);
  });

  it('loses no purchase recorded while it runs: the live write waits and lands on top', async () => {
    const accountId = randomUUID();
    const [, event] = await Promise.all([
      rebuildReadModels(pool, { batchSize: 1 }),
      assign(accountId, ['BARCODE-JS-DEVICE-1Y']),
    ]);
    const after = await snapshot();
    expect(after.items.map((item) => item.item_id)).toContain(event.items[0]!.itemId);
    await rebuildReadModels(pool);
    expect(await snapshot()).toEqual(after);
  });
});
