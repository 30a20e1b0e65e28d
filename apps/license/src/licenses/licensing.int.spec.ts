import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PurchaseAssignedV1, PurchaseRefundedV1 } from '@otl/contracts';
import { EventStore, createDataSource, migrate, poolOf } from '@otl/event-store';
import { createTestDatabase, type TestDatabase } from '@otl/testing';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { Catalog } from '../catalog/catalog';
import { licenseMigrations } from '../infrastructure/migrations';
import { ItemQueries } from '../items/item-queries';
import { ItemNotAvailableError } from '../items/domain/item';
import { PurchaseItems } from '../purchases/purchase-items.service';
import { LicenseQueries } from './license-queries';
import { LicensingService } from './licensing.service';

const catalog = Catalog.parse(
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'catalog.v1.json'), 'utf8')),
);
const now = () => new Date('2026-12-01T10:00:00.000Z');

/** The license use cases on a real database: locking, conflicts and the purchase stream's rules. */
describe('license use cases (real Postgres)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let store: EventStore;
  let licensing: LicensingService;
  let purchases: PurchaseItems;
  let items: ItemQueries;
  let licenses: LicenseQueries;

  beforeAll(async () => {
    db = await createTestDatabase('license_int');
    dataSource = createDataSource({ url: db.url, migrations: licenseMigrations });
    await dataSource.initialize();
    await migrate(dataSource);
    pool = poolOf(dataSource);
    store = new EventStore(pool);
    licensing = new LicensingService(store, now);
    purchases = new PurchaseItems(catalog, now);
    items = new ItemQueries(pool);
    licenses = new LicenseQueries(pool);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const assignment = (accountId: string, skus: string[]): PurchaseAssignedV1 => ({
    purchaseId: randomUUID(),
    accountId,
    channel: 'store',
    externalRef: `ST-${randomUUID().slice(0, 8)}`,
    items: skus.map((sku) => ({ itemId: randomUUID(), sku, quantity: 1, unitPrice: '10.00' })),
    assignedAt: '2026-12-01T09:00:00.000Z',
  });
  const refund = (purchaseId: string): PurchaseRefundedV1 => ({
    purchaseId,
    channel: 'store',
    externalRef: 'ST-refund',
    refundedAt: '2026-12-01T11:00:00.000Z',
    reason: 'customer request',
  });
  /** Applies an event as the inbox does: locks first, the handler's writes sent with COMMIT. */
  const apply = (locks: string[], handle: Parameters<EventStore['transaction']>[1]) =>
    store.transaction({ lockStreams: locks, prefetch: true }, handle);
  const assign = (event: PurchaseAssignedV1) =>
    apply(PurchaseItems.assignmentLocks(event), async (tx) =>
      tx.commitWith(await purchases.onAssigned(tx, event)),
    );
  const refunded = (event: PurchaseRefundedV1) =>
    apply(PurchaseItems.refundLocks(event), async (tx) =>
      tx.commitWith(await purchases.onRefunded(tx, event)),
    );
  const eventsOf = async (stream: string) =>
    (await store.readStream(stream)).events.map((event) => event.type);

  it('of concurrent requests for one item exactly one licence is generated', async () => {
    const accountId = randomUUID();
    const purchase = assignment(accountId, ['BARCODE-JS-DEVICE-1Y']);
    await assign(purchase);
    const itemId = purchase.items[0]!.itemId;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => licensing.generate(accountId, [itemId])),
    );
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const lost = outcomes.filter(
      (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected',
    );
    expect(won).toHaveLength(1);
    expect(lost.map((outcome) => outcome.reason)).toEqual(
      Array.from({ length: 7 }, () => expect.any(ItemNotAvailableError)),
    );
    expect(await licenses.listLicenses(accountId)).toHaveLength(1);
    expect((await items.listItems(accountId)).map((item) => item.status)).toEqual(['licensed']);
  });

  it('an item of one licence cannot be taken by a second licence over several items', async () => {
    const accountId = randomUUID();
    const purchase = assignment(accountId, ['BARCODE-JS-DEVICE-1Y', 'BARCODE-SERVER-INSTANCE-PERP']);
    await assign(purchase);
    const [first, second] = purchase.items.map((item) => item.itemId);
    await licensing.generate(accountId, [first!]);
    await expect(licensing.generate(accountId, [second!, first!])).rejects.toThrow(ItemNotAvailableError);
    // Nothing of the failed request is stored: the second item is still available.
    expect((await items.listItems(accountId)).map((item) => [item.itemId, item.status])).toEqual([
      [first, 'licensed'],
      [second, 'available'],
    ]);
  });

  it('records an assignment once, however often it is delivered', async () => {
    const purchase = assignment(randomUUID(), ['WEBTWAIN-PRO-DOMAIN-1Y']);
    await Promise.all([assign(purchase), assign(purchase), assign(purchase)]);
    expect(await eventsOf(`license-item-${purchase.items[0]!.itemId}`)).toEqual(['license.item-recorded']);
    expect(await eventsOf(`license-purchase-${purchase.purchaseId}`)).toEqual(['license.purchase-assigned']);
  });

  it('holds a refund that comes before its assignment and applies it when the items arrive', async () => {
    const accountId = randomUUID();
    const purchase = assignment(accountId, ['BARCODE-JS-DEVICE-1Y']);
    await refunded(refund(purchase.purchaseId));
    await assign(purchase);
    expect((await items.listItems(accountId)).map((item) => item.status)).toEqual(['refunded']);
    expect(await eventsOf(`license-item-${purchase.items[0]!.itemId}`)).toEqual([
      'license.item-recorded',
      'license.item-refunded',
    ]);
  });

  it('a refund after generation refunds the items and revokes their licence, once', async () => {
    const accountId = randomUUID();
    const purchase = assignment(accountId, ['BARCODE-JS-DEVICE-1Y', 'BARCODE-SERVER-INSTANCE-PERP']);
    await assign(purchase);
    const { licenseId } = await licensing.generate(
      accountId,
      purchase.items.map((item) => item.itemId),
    );
    await licensing.activate(accountId, licenseId, { trackingMode: 'vendor-hosted' });
    await Promise.all([refunded(refund(purchase.purchaseId)), refunded(refund(purchase.purchaseId))]);
    expect((await licenses.getLicense(accountId, licenseId)).status).toBe('revoked');
    expect(await eventsOf(`license-${licenseId}`)).toEqual([
      'license.generated.v1',
      'license.terms-recorded',
      'license.activated.v1',
      'license.revoked.v1',
    ]);
    expect((await items.listItems(accountId)).map((item) => item.status)).toEqual(['refunded', 'refunded']);
  });

  it('stamps public events with the subject the contract names and internal ones with none', async () => {
    const accountId = randomUUID();
    const purchase = assignment(accountId, ['BARCODE-JS-DEVICE-1Y']);
    await assign(purchase);
    const { licenseId } = await licensing.generate(accountId, [purchase.items[0]!.itemId]);
    const { events } = await store.readStream(`license-${licenseId}`);
    expect(events.map((event) => [event.type, event.metadata.subject])).toEqual([
      ['license.generated.v1', licenseId],
      ['license.terms-recorded', undefined],
    ]);
  });
});
