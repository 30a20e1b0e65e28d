import { eventExamples as examples, exampleLicenseKeyHash as keyHash } from './examples';
import { eventDataSchemas, publicEventTypes, validateEventData, type PublicEventType } from './index';

/** The `|null` fields of the contract table, as paths. */
const nullablePaths: { [T in PublicEventType]: string[] } = {
  'purchase.recorded.v1': ['resellerId', 'customer.company', 'items[0].unitPrice', 'currency', 'total'],
  'purchase.refunded.v1': ['reason'],
  'account.created.v1': ['name', 'company'],
  'purchase.assigned.v1': ['items[0].unitPrice'],
  'license.generated.v1': ['items[0].expiresAt'],
  'license.activated.v1': ['ltsInstanceId', 'entitlements[0].expiresAt'],
  'license.revoked.v1': [],
  'usage.recorded.v1': [],
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Node = { path: string; value: Json; parent: Json[] | { [key: string]: Json }; key: string | number };

const clone = <T>(value: T): Json => structuredClone(value) as unknown as Json;

/** Every property below the root, descending into the first element of arrays. */
function nodes(value: Json, path = ''): Node[] {
  if (Array.isArray(value)) {
    return value.length === 0
      ? []
      : [{ path: `${path}[0]`, value: value[0], parent: value, key: 0 }, ...nodes(value[0], `${path}[0]`)];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = path ? `${path}.${key}` : key;
    return [{ path: childPath, value: child, parent: value, key }, ...nodes(child, childPath)];
  });
}

function mutate(example: object, path: string, change: (node: Node) => void): Json {
  const copy = clone(example);
  const node = nodes(copy).find((candidate) => candidate.path === path);
  if (!node) throw new Error(`no path ${path}`);
  change(node);
  return copy;
}

function errorsOf(type: string, data: unknown): string[] {
  const result = validateEventData(type, data);
  return result.ok ? [] : result.errors;
}

describe.each(publicEventTypes)('%s data', (type) => {
  const example = examples[type];
  const properties = nodes(clone(example)).filter((node) => typeof node.key === 'string');

  it('accepts the contract-shaped example', () => {
    expect(validateEventData(type, example)).toEqual({ ok: true });
  });

  it('accepts null in every nullable field', () => {
    // A self-hosted activation needs its instance id; the vendor-hosted one has none.
    const withNulls =
      type === 'license.activated.v1'
        ? {
            ...examples[type],
            trackingMode: 'vendor-hosted',
            ltsInstanceId: null,
            entitlements: [{ ...examples[type].entitlements[0], expiresAt: null }],
          }
        : nullablePaths[type].reduce<Json>(
            (data, path) => mutate(data as object, path, setNull),
            clone(example),
          );
    expect(validateEventData(type, withNulls)).toEqual({ ok: true });
  });

  it.each(properties.map((node) => node.path))('requires %s', (path) => {
    const data = mutate(example, path, ({ parent, key }) => delete (parent as Record<string, Json>)[key]);
    expect(errorsOf(type, data)).toContain(`${path}: is required`);
  });

  const notNullable = properties
    .map((node) => node.path)
    .filter((path) => !nullablePaths[type].includes(path));
  it.each(notNullable)('refuses null in %s', (path) => {
    const data = mutate(example, path, setNull);
    expect(errorsOf(type, data)).toEqual([expect.stringMatching(new RegExp(`^${escape(path)}: must be `))]);
  });

  const objectPaths = [
    '',
    ...nodes(clone(example))
      .filter(isObjectNode)
      .map((node) => node.path),
  ];
  it.each(objectPaths)('refuses an unknown field in "%s"', (path) => {
    const data = clone(example);
    const target = path ? nodes(data).find((node) => node.path === path)?.value : data;
    (target as Record<string, Json>).unexpected = 1;
    expect(errorsOf(type, data)).toEqual([`${path ? `${path}.` : ''}unexpected: is not an allowed field`]);
  });

  it('refuses data that is not an object', () => {
    expect(errorsOf(type, [example])).toEqual(['(root): must be object']);
  });
});

function setNull({ parent, key }: Node): void {
  (parent as Record<string | number, Json>)[key] = null;
}
function isObjectNode(node: Node): boolean {
  return node.value !== null && typeof node.value === 'object' && !Array.isArray(node.value);
}
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('field rules', () => {
  const broken: [PublicEventType, string, Json, string][] = [
    // [type, path, value, expected error]
    ['purchase.recorded.v1', 'purchaseId', 'ST-100234', 'purchaseId: must match format "uuid"'],
    ['purchase.recorded.v1', 'resellerId', 'acme', 'resellerId: must match format "uuid"'],
    [
      'purchase.recorded.v1',
      'channel',
      'web',
      'channel: must be one of "store", "purchase-order", "reseller"',
    ],
    ['purchase.recorded.v1', 'externalRef', '', 'externalRef: must NOT have fewer than 1 characters'],
    [
      'purchase.recorded.v1',
      'customer.email',
      'ana.lima(at)example.com',
      'customer.email: must match format "email"',
    ],
    ['purchase.recorded.v1', 'customer.name', '', 'customer.name: must NOT have fewer than 1 characters'],
    ['purchase.recorded.v1', 'items', [], 'items: must NOT have fewer than 1 items'],
    ['purchase.recorded.v1', 'items[0].quantity', 0, 'items[0].quantity: must be >= 1'],
    ['purchase.recorded.v1', 'items[0].quantity', 1.5, 'items[0].quantity: must be integer'],
    ['purchase.recorded.v1', 'items[0].itemId', 'item-1', 'items[0].itemId: must match format "uuid"'],
    ['purchase.recorded.v1', 'items[0].unitPrice', 1249.5, 'items[0].unitPrice: must be string or null'],
    ['purchase.recorded.v1', 'total', 2498, 'total: must be string or null'],
    [
      'purchase.recorded.v1',
      'currency',
      'usd',
      'currency: must be an ISO 4217 code of 3 capital letters, e.g. "USD"',
    ],
    [
      'purchase.recorded.v1',
      'currency',
      'USDT',
      'currency: must be an ISO 4217 code of 3 capital letters, e.g. "USD"',
    ],
    [
      'purchase.recorded.v1',
      'recordedAt',
      '2026-11-27T10:00:00',
      'recordedAt: must match format "date-time"',
    ],
    ['purchase.recorded.v1', 'recordedAt', '27/11/2026 10:00', 'recordedAt: must match format "date-time"'],
    [
      'purchase.refunded.v1',
      'channel',
      'shop',
      'channel: must be one of "store", "purchase-order", "reseller"',
    ],
    [
      'purchase.refunded.v1',
      'refundedAt',
      '2026-02-30T09:00:00Z',
      'refundedAt: must match format "date-time"',
    ],
    ['account.created.v1', 'origin', 'signup', 'origin: must be one of "registration", "purchase"'],
    ['account.created.v1', 'email', 'Ana Lima', 'email: must match format "email"'],
    ['purchase.assigned.v1', 'accountId', '12345', 'accountId: must match format "uuid"'],
    [
      'purchase.assigned.v1',
      'items[0].unitPrice',
      '12.5.0',
      'items[0].unitPrice: must be a decimal string with at most 4 decimals, e.g. "1249.00"',
    ],
    [
      'license.generated.v1',
      'licenseKeyHash',
      keyHash.toUpperCase(),
      'licenseKeyHash: must be 64 lowercase hex characters (a SHA-256 digest)',
    ],
    [
      'license.generated.v1',
      'licenseKeyHash',
      keyHash.slice(1),
      'licenseKeyHash: must be 64 lowercase hex characters (a SHA-256 digest)',
    ],
    ['license.generated.v1', 'items[0].quantity', 0, 'items[0].quantity: must be >= 1'],
    [
      'license.generated.v1',
      'items[0].expiresAt',
      'next year',
      'items[0].expiresAt: must match format "date-time"',
    ],
    [
      'license.activated.v1',
      'trackingMode',
      'cloud',
      'trackingMode: must be one of "vendor-hosted", "self-hosted"',
    ],
    ['license.activated.v1', 'ltsInstanceId', null, 'trackingMode: must be "vendor-hosted"'],
    ['license.revoked.v1', 'reason', '', 'reason: must NOT have fewer than 1 characters'],
    [
      'usage.recorded.v1',
      'action',
      'lease.stolen',
      'action: must be one of "lease.acquired", "lease.released", "lease.expired", "lease.denied"',
    ],
    ['usage.recorded.v1', 'seatsInUse', -1, 'seatsInUse: must be >= 0'],
    ['usage.recorded.v1', 'seatsTotal', '2', 'seatsTotal: must be integer'],
  ];

  it.each(broken)('%s: %s = %j fails', (type, path, value, expected) => {
    const data = mutate(examples[type], path, ({ parent, key }) => {
      (parent as Record<string | number, Json>)[key] = value;
    });
    expect(errorsOf(type, data)).toEqual([expected]);
  });

  it('refuses a vendor-hosted activation that names an LTS instance', () => {
    const data = { ...examples['license.activated.v1'], trackingMode: 'vendor-hosted' };
    expect(errorsOf('license.activated.v1', data)).toEqual(['trackingMode: must be "self-hosted"']);
  });

  it('refuses a licence key in a licence event', () => {
    const data = { ...examples['license.generated.v1'], licenseKey: 'K-123' };
    expect(errorsOf('license.generated.v1', data)).toEqual(['licenseKey: is not an allowed field']);
  });

  it('reports every broken field at once', () => {
    const data = { ...examples['purchase.recorded.v1'], purchaseId: 'x', currency: 'eur', total: 1.5 };
    expect(errorsOf('purchase.recorded.v1', data)).toEqual([
      'purchaseId: must match format "uuid"',
      'currency: must be an ISO 4217 code of 3 capital letters, e.g. "USD"',
      'total: must be string or null',
    ]);
  });

  it('refuses an unknown event type', () => {
    expect(validateEventData('purchase.deleted.v1', {})).toEqual({
      ok: false,
      errors: ['type: unknown event type "purchase.deleted.v1"'],
    });
  });
});

describe('money', () => {
  const withTotal = (total: string) => ({ ...examples['purchase.recorded.v1'], total });

  it.each(['0', '0.5', '1249', '1249.00', '0.0001', '999999999999999.9999'])('accepts %s', (total) => {
    expect(validateEventData('purchase.recorded.v1', withTotal(total))).toEqual({ ok: true });
  });

  it.each([
    '',
    '1,249.00',
    '1249.12345',
    '-1.00',
    '+1.00',
    '1e3',
    '01.00',
    '.50',
    '12.',
    ' 12.00',
    '1000000000000000',
  ])('refuses %j', (total) => {
    expect(errorsOf('purchase.recorded.v1', withTotal(total))).toEqual([
      'total: must be a decimal string with at most 4 decimals, e.g. "1249.00"',
    ]);
  });
});

describe('schemas', () => {
  /** Where the data holds an object, as paths into the data (`[0]` for array elements). */
  const objectsOf: { [T in PublicEventType]: string[] } = {
    'purchase.recorded.v1': ['', 'customer', 'items[0]'],
    'purchase.refunded.v1': [''],
    'account.created.v1': [''],
    'purchase.assigned.v1': ['', 'items[0]'],
    'license.generated.v1': ['', 'items[0]'],
    'license.activated.v1': ['', 'entitlements[0]'],
    'license.revoked.v1': [''],
    'usage.recorded.v1': [''],
  };

  it.each(publicEventTypes)('%s names itself and closes every object', (type) => {
    const schema = eventDataSchemas[type] as Record<string, unknown>;
    expect(schema.$id).toBe(`https://schemas.order-to-license.dev/events/${type}.json`);
    expect(schema.title).toBe(type);
    const objects = subschemas(schema).filter(({ sub }) => sub.type === 'object');
    expect(objects.map(({ path }) => path)).toEqual(objectsOf[type]);
    // The example holds an object at exactly these paths too, so no object escapes the walk.
    expect([
      '',
      ...nodes(clone(examples[type]))
        .filter(isObjectNode)
        .map((node) => node.path),
    ]).toEqual(objectsOf[type]);
    for (const { path, sub } of objects)
      expect({ path, closed: sub.additionalProperties }).toEqual({ path, closed: false });
  });
});

/** Every subschema with the data path it applies to, through properties, items and combinators. */
function subschemas(
  schema: Record<string, unknown>,
  path = '',
): { path: string; sub: Record<string, unknown> }[] {
  const properties = Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>);
  const combined = ['allOf', 'anyOf', 'oneOf'].flatMap(
    (keyword) => (schema[keyword] ?? []) as Record<string, unknown>[],
  );
  const conditional = ['if', 'then', 'else', 'not']
    .map((keyword) => schema[keyword] as Record<string, unknown> | undefined)
    .filter((sub): sub is Record<string, unknown> => sub !== undefined);
  return [
    { path, sub: schema },
    ...properties.flatMap(([key, sub]) => subschemas(sub, path ? `${path}.${key}` : key)),
    ...(schema.items ? subschemas(schema.items as Record<string, unknown>, `${path}[0]`) : []),
    ...[...combined, ...conditional].flatMap((sub) => subschemas(sub, path)),
  ];
}
