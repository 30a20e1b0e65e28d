import { randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  countsAround,
  createResellerKey,
  createTestDatabase,
  describeHostileInput,
  hostileCasesFor,
  resellerKeyCommand,
  startService,
  uniqueName,
  type HostileTarget,
  callJson,
  type JsonAnswer,
  type RunningService,
  type TestDatabase,
} from '@otl/testing';
import { order, place as placeWith, serviceEnv } from './support';

/** reseller-intake takes bodies up to 256 KiB, the platform's usual limit. */
const cases = hostileCasesFor(256 * 1024);

/** A valid order (support's `order()`), open to any edit a malformed case makes. */
type Order = Record<string, unknown> & {
  customer: Record<string, unknown>;
  items: Record<string, unknown>[];
};
const resellerOrder = () => order() as unknown as Order;

/** A call with the reseller's key (when given) and any other headers, e.g. a bad Idempotency-Key. */
const call = (
  url: string,
  method: string,
  path: string,
  { key, body, headers = {} }: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonAnswer> => callJson(url, method, path, key, body, headers);

/** A malformed order: how it is made from a valid one, and the field its 400 must name. */
interface Malformed {
  name: string;
  field: string;
  make(valid: Order): unknown;
}

const change = (edit: (valid: Order) => void) => (valid: Order) => {
  edit(valid);
  return valid;
};
const lines = (count: number) =>
  Array.from({ length: count }, () => ({ sku: 'BARCODE-JS-DEVICE-1Y', quantity: 1, unitPrice: '1.00' }));

const MALFORMED: Malformed[] = [
  // The reseller's own reference.
  { name: 'no resellerOrderRef', field: 'resellerOrderRef', make: change((o) => delete o.resellerOrderRef) },
  {
    name: 'an empty resellerOrderRef',
    field: 'resellerOrderRef',
    make: change((o) => (o.resellerOrderRef = '')),
  },
  {
    name: 'a resellerOrderRef of 101 characters',
    field: 'resellerOrderRef',
    make: change((o) => (o.resellerOrderRef = 'R'.repeat(101))),
  },
  {
    name: 'a numeric resellerOrderRef',
    field: 'resellerOrderRef',
    make: change((o) => (o.resellerOrderRef = 123)),
  },
  // The customer.
  { name: 'no customer', field: 'customer', make: change((o) => delete (o as Partial<Order>).customer) },
  {
    name: 'a customer that is a string',
    field: 'customer',
    make: change((o) => (o.customer = 'Ana Lima' as never)),
  },
  { name: 'a bad email', field: 'customer.email', make: change((o) => (o.customer.email = 'not-an-email')) },
  {
    name: 'an email with a display name',
    field: 'customer.email',
    make: change((o) => (o.customer.email = 'Ana Lima <ana@example.com>')),
  },
  { name: 'no customer name', field: 'customer.name', make: change((o) => delete o.customer.name) },
  {
    name: 'a company of 201 characters',
    field: 'customer.company',
    make: change((o) => (o.customer.company = 'C'.repeat(201))),
  },
  {
    name: 'an unknown customer field',
    field: 'customer.phone',
    make: change((o) => (o.customer.phone = '+1 555')),
  },
  // The lines.
  { name: 'no lines', field: 'items', make: change((o) => ((o.items = []), (o.total = '0.00'))) },
  { name: '501 lines', field: 'items', make: change((o) => ((o.items = lines(501)), (o.total = '501.00'))) },
  {
    name: 'items that are an object',
    field: 'items',
    make: change((o) => (o.items = { sku: 'X' } as never)),
  },
  {
    name: 'a SKU with a space',
    field: 'items[0].sku',
    make: change((o) => (o.items[0]!.sku = 'BARCODE JS')),
  },
  { name: 'an empty SKU', field: 'items[0].sku', make: change((o) => (o.items[0]!.sku = '')) },
  { name: 'a quantity of 0', field: 'items[0].quantity', make: change((o) => (o.items[0]!.quantity = 0)) },
  {
    name: 'a fractional quantity',
    field: 'items[1].quantity',
    make: change((o) => (o.items[1]!.quantity = 1.5)),
  },
  {
    name: 'a quantity as a string',
    field: 'items[0].quantity',
    make: change((o) => (o.items[0]!.quantity = '2')),
  },
  {
    name: 'a quantity over 100,000',
    field: 'items[0].quantity',
    make: change((o) => (o.items[0]!.quantity = 100_001)),
  },
  // Money.
  {
    name: 'a unit price as a number',
    field: 'items[0].unitPrice',
    make: change((o) => (o.items[0]!.unitPrice = 1249)),
  },
  {
    name: 'a negative unit price',
    field: 'items[0].unitPrice',
    make: change((o) => (o.items[0]!.unitPrice = '-1249.00')),
  },
  {
    name: 'a unit price with a thousands separator',
    field: 'items[0].unitPrice',
    make: change((o) => (o.items[0]!.unitPrice = '1,249.00')),
  },
  {
    name: 'a unit price in exponent notation',
    field: 'items[1].unitPrice',
    make: change((o) => (o.items[1]!.unitPrice = '8.99e2')),
  },
  { name: 'a total as a number', field: 'total', make: change((o) => (o.total = 3397)) },
  { name: 'a total of five decimals', field: 'total', make: change((o) => (o.total = '3397.00000')) },
  { name: 'no total', field: 'total', make: change((o) => delete (o as Partial<Order>).total) },
  {
    name: 'a total that is not the sum of the lines',
    field: 'total',
    make: change((o) => (o.total = '3396.99')),
  },
  { name: 'a lowercase currency', field: 'currency', make: change((o) => (o.currency = 'usd')) },
  {
    name: 'a currency that is no ISO 4217 code',
    field: 'currency',
    make: change((o) => (o.currency = 'EURO')),
  },
  { name: 'no currency', field: 'currency', make: change((o) => delete (o as Partial<Order>).currency) },
  // Fields the client does not own, or that do not exist.
  { name: 'an unknown field', field: 'notes', make: change((o) => (o.notes = 'deliver by Friday')) },
  { name: 'an orderId in the body', field: 'orderId', make: change((o) => (o.orderId = randomUUID())) },
  {
    name: 'a purchaseId in the body',
    field: 'purchaseId',
    make: change((o) => (o.purchaseId = randomUUID())),
  },
  { name: 'a status in the body', field: 'status', make: change((o) => (o.status = 'assigned')) },
  {
    name: 'a resellerId in the body',
    field: 'resellerId',
    make: change((o) => (o.resellerId = randomUUID())),
  },
  {
    name: 'a recordedAt in the body',
    field: 'recordedAt',
    make: change((o) => (o.recordedAt = new Date().toISOString())),
  },
  {
    name: 'an itemId on a line',
    field: 'items[0].itemId',
    make: change((o) => (o.items[0]!.itemId = randomUUID())),
  },
  {
    name: 'an unknown line field',
    field: 'items[1].discount',
    make: change((o) => (o.items[1]!.discount = '10')),
  },
];

/** Idempotency-Key headers the API must refuse (400 idempotency-key-required), with a good body. */
const BAD_IDEMPOTENCY_KEYS: [name: string, headers: Record<string, string>][] = [
  ['no Idempotency-Key', {}],
  ['an empty Idempotency-Key', { 'idempotency-key': '' }],
  ['an Idempotency-Key of 256 characters', { 'idempotency-key': 'k'.repeat(256) }],
  ['an Idempotency-Key with a space', { 'idempotency-key': 'order 42' }],
  ['an Idempotency-Key with a tab', { 'idempotency-key': 'order\t42' }],
  ['an Idempotency-Key with a non-ASCII letter', { 'idempotency-key': 'commande-\u00e9' }],
];

/** The field, or a field inside it. */
const within = (field: string) => new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}(?:$|[.[])`);

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** A key in the documented form (rsk_, 12-char id, 40-char secret, CRC-32 checksum in base62), made here. */
function wellFormedKey(keyId: string): string {
  let secret = '';
  for (let i = 0; i < 40; i++) secret += BASE62[Math.floor(Math.random() * 62)];
  const body = `rsk_${keyId}_${secret}`;
  let rest = crc32(body);
  let checksum = '';
  for (let i = 0; i < 6; i++) {
    checksum = BASE62[rest % 62] + checksum;
    rest = Math.floor(rest / 62);
  }
  return body + checksum;
}

describe('reseller-intake under hostile input (running service, real Postgres and Kafka)', () => {
  let db: TestDatabase;
  let service: RunningService;
  let key: string;
  let keyId: string;
  /** Orders to refund, one per good refund request after a case. */
  let pending: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('reseller_hostile');
    // The corpus sends hundreds of requests with one key: the rate limit is proven elsewhere.
    service = await startService(
      'reseller-intake',
      serviceEnv(db.url, uniqueName('reseller-hostile'), { RESELLER_RATE_LIMIT: '100000/1' }),
    );
    ({ key, keyId } = await createResellerKey(db.url, `Hostile Reseller ${randomUUID().slice(0, 8)}`));
    pending = await Promise.all(
      Array.from({ length: cases.length + 1 }, async () => {
        const answer = await placeWith(service.url, key, resellerOrder());
        expect(answer.status).toBe(201);
        return answer.body.orderId as string;
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
  });

  const url = () => service.url;
  const place = (body: unknown, idempotencyKey?: string) => placeWith(url(), key, body, idempotencyKey);

  const targets: HostileTarget[] = [
    {
      name: 'POST /v1/reseller/orders',
      path: '/v1/reseller/orders',
      valid: () => resellerOrder(),
      field: 'customer',
      textField: 'customer.name',
      // A new Idempotency-Key each time: a case wrongly taken would record an order, and show.
      headers: () => ({ authorization: `Bearer ${key}`, 'idempotency-key': randomUUID() }),
      good: async () => {
        expect((await place(resellerOrder())).status).toBe(201);
      },
    },
    {
      name: 'POST /v1/reseller/orders/{orderId}/refund',
      get path() {
        return `/v1/reseller/orders/${pending[0]}/refund`;
      },
      valid: () => ({ reason: 'The end customer cancelled the order.' }),
      field: 'reason',
      textField: 'reason',
      headers: () => ({ authorization: `Bearer ${key}` }),
      good: async () => {
        const orderId = pending.shift()!;
        const answer = await call(url(), 'POST', `/v1/reseller/orders/${orderId}/refund`, {
          key,
          body: { reason: 'cancelled' },
        });
        expect([answer.status, answer.body.status]).toEqual([200, 'refunded']);
      },
    },
  ];

  describeHostileInput({ url, databaseUrl: () => db.url, targets, cases });

  /** Sends the request with every table's rows counted around it; they must not change. */
  async function storingNothing<T>(send: () => Promise<T>): Promise<T> {
    const { before, after, result } = await countsAround(db.url, send);
    expect(before).toHaveProperty('reseller_idempotency_keys');
    expect(after).toEqual(before);
    return result;
  }

  const expectProblem = (answer: JsonAnswer, status: number, type: string) => {
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ type: expect.stringMatching(new RegExp(`/${type}$`)), status });
  };

  describe('malformed orders', () => {
    it('has at least 15 of them, each about another thing', () => {
      expect(MALFORMED.length).toBeGreaterThanOrEqual(15);
      expect(new Set(MALFORMED.map((bad) => bad.name)).size).toBe(MALFORMED.length);
    });

    it.each(MALFORMED.map((bad) => [bad.name, bad] as const))(
      '%s: 400 naming the field, nothing stored, and its Idempotency-Key still free for a good body',
      async (_name, bad) => {
        const idempotencyKey = randomUUID();
        const refused = await storingNothing(() => place(bad.make(resellerOrder()), idempotencyKey));
        expectProblem(refused, 400, 'validation-failed');
        const errors = refused.body.errors as { field: string; message: string }[];
        expect(errors.length).toBeGreaterThan(0);
        // The field itself, and nothing but it or what is inside it (items that are an object also
        // get their would-be lines' fields checked: `items.quantity`).
        expect(errors.map((error) => error.field)).toContain(bad.field);
        for (const { field } of errors) expect(field).toMatch(within(bad.field));
        expect(refused.body.detail).toContain(bad.field);

        const placed = await place(resellerOrder(), idempotencyKey);
        expect(placed.status).toBe(201);
        expect(placed.headers.get('idempotent-replayed')).toBeNull();
      },
    );

    it.each(BAD_IDEMPOTENCY_KEYS)(
      '%s on a good order: 400 idempotency-key-required naming the header, nothing stored',
      async (_name, headers) => {
        const body = resellerOrder();
        const refused = await storingNothing(() =>
          call(url(), 'POST', '/v1/reseller/orders', { key, body, headers }),
        );
        expectProblem(refused, 400, 'idempotency-key-required');
        expect(refused.body.errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
        // Nothing of it was kept: the same order with a key is new.
        const placed = await place(body);
        expect(placed.status).toBe(201);
        expect(placed.headers.get('idempotent-replayed')).toBeNull();
      },
    );

    it.each([
      ['no reason', {}, 'reason'],
      ['an empty reason', { reason: '' }, 'reason'],
      ['a reason of 1,001 characters', { reason: 'r'.repeat(1001) }, 'reason'],
      ['an unknown field', { reason: 'cancelled', refundAmount: '10.00' }, 'refundAmount'],
      ['a status in the body', { reason: 'cancelled', status: 'recorded' }, 'status'],
    ])('a refund with %s: 400 naming the field, nothing stored', async (_name, body, field) => {
      const orderId = (await place(resellerOrder())).body.orderId as string;
      const refused = await storingNothing(() =>
        call(url(), 'POST', `/v1/reseller/orders/${orderId}/refund`, { key, body }),
      );
      expectProblem(refused, 400, 'validation-failed');
      expect([...new Set((refused.body.errors as { field: string }[]).map((error) => error.field))]).toEqual([
        field,
      ]);
      // Not refunded (it may be assigned by now, if an account service on the shared broker took it).
      const view = await call(url(), 'GET', `/v1/reseller/orders/${orderId}`, { key });
      expect([view.status, view.body.refundedAt]).toEqual([200, null]);
    });
  });

  describe('refused API keys', () => {
    let revokedKey: string;
    let orderId: string;

    beforeAll(async () => {
      orderId = (await place(resellerOrder())).body.orderId as string;
      const revoked = await createResellerKey(db.url, `Revoked Reseller ${randomUUID().slice(0, 8)}`);
      expect((await call(url(), 'GET', '/v1/reseller/orders', { key: revoked.key })).status).toBe(200);
      const { code, stdout } = await resellerKeyCommand(db.url, 'revoke-key', ['--key-id', revoked.keyId]);
      expect([code, stdout]).toEqual([0, expect.stringContaining(revoked.keyId)]);
      revokedKey = revoked.key;
    }, 60_000);

    /** The key's last character changed: its checksum no longer matches. */
    const mistyped = () => key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');

    const refusals: [name: string, authorization: () => string | undefined][] = [
      ['no Authorization header', () => undefined],
      ['a Basic credential', () => `Basic ${Buffer.from(`reseller:${key}`).toString('base64')}`],
      ['a bearer token that is no key', () => 'Bearer not-a-reseller-key'],
      ['a key without its prefix', () => `Bearer ${key.slice(4)}`],
      ['a truncated key', () => `Bearer ${key.slice(0, -1)}`],
      ['a mistyped key (the checksum fails)', () => `Bearer ${mistyped()}`],
      ['an unknown key (well-formed, never issued)', () => `Bearer ${wellFormedKey('zz' + keyId.slice(2))}`],
      ['a known key id with another secret', () => `Bearer ${wellFormedKey(keyId)}`],
      ['a revoked key', () => `Bearer ${revokedKey}`],
    ];

    it.each(refusals)(
      '%s: the one 401 with WWW-Authenticate, nothing stored',
      async (_name, authorization) => {
        const header = authorization();
        const send = (method: string, path: string, body?: unknown) =>
          call(url(), method, path, {
            body,
            headers: {
              'idempotency-key': randomUUID(),
              ...(header === undefined ? {} : { authorization: header }),
            },
          });
        const answers = await storingNothing(() =>
          Promise.all([
            send('POST', '/v1/reseller/orders', resellerOrder()),
            send('GET', '/v1/reseller/orders'),
            send('GET', `/v1/reseller/orders/${orderId}`),
            send('POST', `/v1/reseller/orders/${orderId}/refund`, { reason: 'cancelled' }),
          ]),
        );
        for (const answer of answers) {
          expect(answer.status).toBe(401);
          expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="reseller-intake"');
          expect(answer.headers.get('ratelimit')).toBeNull();
          expect(answer.body).toEqual({
            type: expect.stringMatching(/\/invalid-api-key$/),
            title: 'Invalid API key',
            status: 401,
            detail: 'Send a valid reseller API key as `Authorization: Bearer rsk_…`.',
          });
        }
      },
    );
  });
});
