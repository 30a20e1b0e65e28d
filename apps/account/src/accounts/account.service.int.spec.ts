import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PurchaseRecordedV1 } from '@otl/contracts';
import {
  ConcurrencyError,
  EventStore,
  createDataSource,
  migrate,
  poolOf,
  type Statement,
} from '@otl/event-store';
import { withCorrelationId } from '@otl/platform';
import { createTestDatabase, type TestDatabase } from '@otl/testing';
import { accountMigrations } from '../infrastructure/migrations';
import { AccountService } from './account.service';
import { streams } from './email';

const NOW = new Date('2026-11-27T10:00:05.000Z');
const CORRELATION_ID = 'corr-account-int';

function purchaseBy(email: string): PurchaseRecordedV1 {
  const purchaseId = randomUUID();
  return {
    purchaseId,
    channel: 'store',
    externalRef: `ST-${purchaseId.slice(0, 8)}`,
    resellerId: null,
    customer: { email, name: 'Ana Lima', company: null },
    items: [{ itemId: randomUUID(), sku: 'BARCODE-JS-DEVICE-1Y', quantity: 1, unitPrice: '1249.00' }],
    currency: 'USD',
    total: '1249.00',
    recordedAt: NOW.toISOString(),
  };
}

const newEmail = (label: string) => `${label}.${randomUUID().slice(0, 8)}@Example.com`;

describe('AccountService on real Postgres', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let store: EventStore;
  let accounts: AccountService;

  beforeAll(async () => {
    db = await createTestDatabase('account_service');
    dataSource = createDataSource({ url: db.url, migrations: accountMigrations });
    await dataSource.initialize();
    await migrate(dataSource);
    pool = poolOf(dataSource);
    store = new EventStore(pool);
    accounts = new AccountService({ store, tokenTtlSeconds: 3600, now: () => NOW });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  /**
   * The one place this spec calls assignPurchase. Like the inbox consumer, it applies purchases in
   * one transaction that first locks their streams, and sends their writes with COMMIT; `beforeCommit`
   * lets a rival writer in after they decided. The correlation id is the ambient one, as the inbox
   * enters it from the record's header.
   */
  function assignTogether(
    purchases: readonly PurchaseRecordedV1[],
    beforeCommit?: () => Promise<void>,
  ): Promise<void> {
    const lockStreams = purchases.map((purchase) => streams.emailClaim(purchase.customer.email));
    return store.transaction({ lockStreams, prefetch: true }, async (tx) => {
      const writes: (Statement | null)[] = [];
      for (const purchase of purchases)
        writes.push(
          ...(await withCorrelationId(CORRELATION_ID, () => accounts.assignPurchase(tx, purchase))),
        );
      await beforeCommit?.();
      await tx.commitWith(writes);
    });
  }
  const assign = (purchase: PurchaseRecordedV1, beforeCommit?: () => Promise<void>) =>
    assignTogether([purchase], beforeCommit);

  /** What is stored about an address: the accounts created for it, their purchases and the mails queued. */
  async function storedFor(email: string) {
    const created = await pool.query<{ account_id: string }>(
      `SELECT data->>'accountId' AS account_id FROM es_events
       WHERE type = 'account.created.v1' AND lower(data->>'email') = lower($1)`,
      [email],
    );
    const assigned = await pool.query<{ purchase_id: string; account_id: string; correlation_id: string }>(
      `SELECT data->>'purchaseId' AS purchase_id, data->>'accountId' AS account_id,
              metadata->>'correlationId' AS correlation_id
       FROM es_events WHERE type = 'purchase.assigned.v1' AND stream_id = ANY($1::text[])`,
      [created.rows.map((row) => streams.account(row.account_id))],
    );
    const mails = await pool.query<{ template: string }>(
      'SELECT template FROM account_mail_outbox WHERE lower(recipient) = lower($1) ORDER BY created_at, template',
      [email],
    );
    return {
      accountIds: created.rows.map((row) => row.account_id),
      assigned: assigned.rows,
      mails: mails.rows.map((row) => row.template),
    };
  }
  const eventCount = async () =>
    Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM es_events')).rows[0]!.n);
  const mailCount = async () =>
    Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM account_mail_outbox')).rows[0]!.n);

  it('makes one account holding both of two concurrent purchases by one new address (any spelling)', async () => {
    for (let round = 0; round < 5; round++) {
      const email = newEmail('Buyer.Twice');
      const [first, second] = [purchaseBy(email), purchaseBy(`  ${email.toUpperCase()} `)];
      await Promise.all([assign(first), assign(second)]);

      const stored = await storedFor(email);
      expect(stored.accountIds).toHaveLength(1);
      const [accountId] = stored.accountIds;
      expect(stored.assigned.map((row) => row.purchase_id).sort()).toEqual(
        [first.purchaseId, second.purchaseId].sort(),
      );
      expect(stored.assigned.map((row) => [row.account_id, row.correlation_id])).toEqual([
        [accountId, CORRELATION_ID],
        [accountId, CORRELATION_ID],
      ]);
      // Nobody proved the address yet: each purchase mails a way in.
      expect(stored.mails).toEqual(['purchase-set-password', 'purchase-set-password']);
      expect((await accounts.findByEmail(email)).status).toBe('open');
    }
  });

  it('makes one account when a registration and a purchase of one new address arrive at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const email = newEmail('Buyer.Registering');
      const purchase = purchaseBy(email);
      await Promise.all([
        accounts.register({ email: email.toLowerCase(), name: 'Ana', company: null }, 'hash'),
        assign(purchase),
      ]);
      const stored = await storedFor(email);
      expect(stored.accountIds).toHaveLength(1);
      expect(stored.assigned.map((row) => [row.purchase_id, row.account_id])).toEqual([
        [purchase.purchaseId, stored.accountIds[0]],
      ]);
    }
  });

  it('assigns a group of purchases by different new addresses in one transaction (group commit)', async () => {
    const group = Array.from({ length: 5 }, (_, index) => purchaseBy(newEmail(`Buyer.Group${index}`)));
    await assignTogether(group);
    const { rows } = await pool.query<{ transactions: string; assigned: string }>(
      `SELECT count(DISTINCT xmin::text) AS transactions, count(*) AS assigned FROM es_events
       WHERE type = 'purchase.assigned.v1' AND data->>'purchaseId' = ANY($1::text[])`,
      [group.map((purchase) => purchase.purchaseId)],
    );
    expect(rows).toEqual([{ transactions: '1', assigned: '5' }]);
    for (const purchase of group)
      expect((await storedFor(purchase.customer.email)).accountIds).toHaveLength(1);
  });

  it('assigns a purchase delivered twice once', async () => {
    const email = newEmail('Buyer.Again');
    const purchase = purchaseBy(email);
    await assign(purchase);
    const before = { events: await eventCount(), mails: await mailCount() };
    await assign(purchase);
    expect({ events: await eventCount(), mails: await mailCount() }).toEqual(before);
    expect((await storedFor(email)).assigned).toHaveLength(1);
  });

  it('fails a group holding two purchases by one new address as a whole, and one by one makes one account', async () => {
    // The inbox's group commit: its handlers cannot see each other's unsent writes, so both decide
    // on a new account; the claim stream's expected version refuses the second, and nothing commits.
    const email = newEmail('Buyer.Grouped');
    const [first, second] = [purchaseBy(email), purchaseBy(email.toLowerCase())];
    const other = purchaseBy(newEmail('Buyer.Bystander'));
    const before = { events: await eventCount(), mails: await mailCount() };

    await expect(assignTogether([first, other, second])).rejects.toBeInstanceOf(ConcurrencyError);
    expect({ events: await eventCount(), mails: await mailCount() }).toEqual(before);

    // What the inbox falls back to: each record in its own transaction.
    for (const purchase of [first, other, second]) await assign(purchase);
    const stored = await storedFor(email);
    expect(stored.accountIds).toHaveLength(1);
    expect(stored.assigned.map((row) => row.purchase_id).sort()).toEqual(
      [first.purchaseId, second.purchaseId].sort(),
    );
    expect((await storedFor(other.customer.email)).accountIds).toHaveLength(1);
  });

  it('commits nothing when a writer ignoring the locks appended first, and decides again on what it stored', async () => {
    const email = newEmail('Buyer.Raced');
    await accounts.register({ email, name: 'Ana', company: null }, 'hash');
    const [accountId] = (await storedFor(email)).accountIds;
    const stream = streams.account(accountId!);
    const { version } = await store.readStream(stream);
    const before = { events: await eventCount(), mails: await mailCount() };
    const purchase = purchaseBy(email);
    // The address is proved on another connection after the purchase read the account.
    const verify = async () => {
      await pool.query(
        `INSERT INTO es_events (stream_id, stream_position, event_id, type, schema_version, data, metadata)
         VALUES ($1, $2, $3, 'account.email-verified', 1, $4, '{}')`,
        [stream, version + 1, randomUUID(), JSON.stringify({ verifiedAt: NOW.toISOString() })],
      );
    };

    await expect(assign(purchase, verify)).rejects.toBeInstanceOf(ConcurrencyError);
    expect({ events: await eventCount(), mails: await mailCount() }).toEqual({
      events: before.events + 1, // the rival's event only
      mails: before.mails,
    });

    // Retried, as the inbox retries a failed record: the address is proved now, so the purchase is
    // assigned without a set-password link and without discarding the password.
    await assign(purchase);
    const { rows } = await pool.query<{ type: string }>(
      'SELECT type FROM es_events WHERE stream_id = $1 AND stream_position > $2 ORDER BY stream_position',
      [stream, version],
    );
    expect(rows.map((row) => row.type)).toEqual(['account.email-verified', 'purchase.assigned.v1']);
    expect(await mailCount()).toBe(before.mails);
  });
});
