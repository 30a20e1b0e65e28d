import {
  createTestDatabase,
  describeHostileInput,
  signStoreWebhook,
  startService,
  storeOrder,
  storeRefund,
  type HostileTarget,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';
import { deliver, newOrderId, newSecret, serviceEnv, storedCounts } from './support';

describe('store-webhook under hostile input (running service, real Postgres)', () => {
  const secret = newSecret();
  let db: TestDatabase;
  let service: RunningService;

  beforeAll(async () => {
    db = await createTestDatabase('store_webhook_hostile');
    service = await startService('store-webhook', serviceEnv(db.url, [secret]));
  });

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
  });

  // Signed, so that every hostile body passes the signature check and reaches the parser.
  const signed = (body: Buffer) => signStoreWebhook(secret, body);
  const good = async () => {
    const answer = await deliver(service.url, secret, storeOrder(newOrderId()));
    expect(answer.status).toBe(202);
  };
  const targets: HostileTarget[] = [
    {
      name: 'POST /v1/webhooks/store (order.completed)',
      path: '/v1/webhooks/store',
      valid: () => storeOrder(newOrderId()),
      field: 'data',
      textField: 'data.customer.name',
      headers: signed,
      good,
    },
    {
      name: 'POST /v1/webhooks/store (order.refunded)',
      path: '/v1/webhooks/store',
      valid: () => storeRefund(newOrderId()),
      field: 'data',
      textField: 'data.reason',
      headers: signed,
      good,
    },
  ];

  describeHostileInput({ url: () => service.url, databaseUrl: () => db.url, targets });

  it('refuses an unknown currency code (ISO 4217 from the runtime list), storing nothing', async () => {
    const before = await storedCounts(db.url);
    const answer = await deliver(service.url, secret, storeOrder(newOrderId(), { currency: 'ZZZ' }));
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      { field: 'data.currency', message: 'must be an ISO 4217 currency code like USD' },
    ]);
    expect(await storedCounts(db.url)).toEqual(before);
  });

  it('refuses an address the event schema would not carry (non-ASCII), storing nothing', async () => {
    const before = await storedCounts(db.url);
    const customer = { email: 'josé@example.com', name: 'José', company: null };
    const answer = await deliver(service.url, secret, storeOrder(newOrderId(), { customer }));
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      { field: 'data.customer.email', message: 'must be an email address' },
    ]);
    expect(await storedCounts(db.url)).toEqual(before);
  });

  it('never answered 5xx and logged no unhandled error', () => {
    expect(service.output()).not.toMatch(/unhandled error|"level":50/);
  });
});
