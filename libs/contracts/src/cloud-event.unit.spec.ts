import {
  ContractViolationError,
  assertValidEvent,
  parseCloudEvent,
  toCloudEvent,
  type PurchaseRecordedV1,
} from './index';

const purchaseId = '6f1c3c2e-3a5b-4c1d-9e2f-0a1b2c3d4e5f';
const data: PurchaseRecordedV1 = {
  purchaseId,
  channel: 'store',
  externalRef: 'ST-100234',
  resellerId: null,
  customer: { email: 'Ana.Lima@Example.com', name: 'Ana Lima', company: 'Example Ltd' },
  items: [
    {
      itemId: '0b9f8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d',
      sku: 'BARCODE-JS-DEVICE-1Y',
      quantity: 2,
      unitPrice: '1249.00',
    },
  ],
  currency: 'USD',
  total: '2498.00',
  recordedAt: '2026-11-27T10:00:00Z',
};
const event = toCloudEvent({
  id: '3d1e5b7a-9c2f-4e8d-a6b4-1f0e2d3c4b5a',
  source: '/store-webhook',
  type: 'purchase.recorded.v1',
  subject: purchaseId,
  time: new Date('2026-11-27T11:00:01.123+01:00'),
  data,
});

function violation(action: () => unknown): ContractViolationError {
  try {
    action();
  } catch (error) {
    if (error instanceof ContractViolationError) return error;
    throw error;
  }
  throw new Error('expected a ContractViolationError');
}

describe('toCloudEvent', () => {
  it('builds the structured-mode envelope of the contract, time in UTC', () => {
    expect(event).toEqual({
      specversion: '1.0',
      id: '3d1e5b7a-9c2f-4e8d-a6b4-1f0e2d3c4b5a',
      source: '/store-webhook',
      type: 'purchase.recorded.v1',
      subject: purchaseId,
      time: '2026-11-27T10:00:01.123Z',
      datacontenttype: 'application/json',
      data,
    });
    expect(() => assertValidEvent(event)).not.toThrow();
  });

  it('keeps a time given as a string', () => {
    const withMicros = toCloudEvent({ ...event, time: '2026-11-27T10:00:01.123456Z' });
    expect(withMicros.time).toBe('2026-11-27T10:00:01.123456Z');
  });
});

describe('assertValidEvent', () => {
  const envelopeCases: [string, Record<string, unknown>, string][] = [
    ['wrong specversion', { specversion: '0.3' }, 'specversion: must be "1.0"'],
    ['missing subject', { subject: undefined }, 'subject: is required'],
    ['empty subject', { subject: '' }, 'subject: must NOT have fewer than 1 characters'],
    ['id that is no uuid', { id: 'msg_1' }, 'id: must match format "uuid"'],
    ['empty source', { source: '' }, 'source: must NOT have fewer than 1 characters'],
    ['time without a zone', { time: '2026-11-27T10:00:01' }, 'time: must match format "date-time"'],
    ['other content type', { datacontenttype: 'text/plain' }, 'datacontenttype: must be "application/json"'],
    ['data that is no object', { data: 'x' }, 'data: must be object'],
    ['extension attribute', { correlationid: 'abc' }, 'correlationid: is not an allowed field'],
  ];

  it.each(envelopeCases)('refuses an envelope with %s', (_name, change, expected) => {
    const error = violation(() => assertValidEvent(JSON.parse(JSON.stringify({ ...event, ...change }))));
    expect(error.code).toBe('invalid-envelope');
    expect(error.errors).toEqual([expected]);
  });

  // The contract asks producers for UTC; consumers take any RFC 3339 offset rather than dead-letter it.
  it('accepts an RFC 3339 time with an offset', () => {
    expect(() => assertValidEvent({ ...event, time: '2026-11-27T11:00:01.123+01:00' })).not.toThrow();
  });

  it('refuses an unknown event type', () => {
    const error = violation(() => assertValidEvent({ ...event, type: 'purchase.deleted.v1' }));
    expect(error.code).toBe('unknown-type');
    expect(error.errors).toEqual(['type: unknown event type "purchase.deleted.v1"']);
  });

  it('checks data against the schema of its type, naming the field under data', () => {
    const bad = { ...event, data: { ...data, customer: { ...data.customer, email: 'nope' }, total: 2498 } };
    const error = violation(() => assertValidEvent(bad));
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('invalid-data');
    expect(error.errors).toEqual([
      'data.customer.email: must match format "email"',
      'data.total: must be string or null',
    ]);
    expect(error.message).toContain('data.customer.email');
  });

  it('refuses data of another event type', () => {
    const error = violation(() => assertValidEvent({ ...event, type: 'purchase.refunded.v1' }));
    expect(error.errors).toContain('data.refundedAt: is required');
    expect(error.errors).toContain('data.customer: is not an allowed field');
  });

  it('refuses a subject that is not the aggregate id, since it is the Kafka key', () => {
    const error = violation(() =>
      assertValidEvent({ ...event, subject: '0b9f8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d' }),
    );
    expect(error.errors).toEqual([`subject: must equal data.purchaseId ("${purchaseId}"), the aggregate id`]);
  });

  it('keys purchase.assigned.v1 by account, not by purchase', () => {
    const accountId = 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f';
    const assigned = toCloudEvent({
      id: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9',
      source: '/account',
      type: 'purchase.assigned.v1',
      subject: purchaseId,
      time: '2026-11-27T10:00:02Z',
      data: {
        purchaseId,
        accountId,
        channel: 'store',
        externalRef: 'ST-100234',
        items: data.items,
        assignedAt: '2026-11-27T10:00:02Z',
      },
    });
    expect(violation(() => assertValidEvent(assigned)).errors[0]).toMatch(
      /^subject: must equal data.accountId/,
    );
    expect(() => assertValidEvent({ ...assigned, subject: accountId })).not.toThrow();
  });
});

describe('parseCloudEvent', () => {
  it('parses a record value given as a Buffer or a string', () => {
    const json = JSON.stringify(event);
    const parsed = parseCloudEvent(Buffer.from(json, 'utf8'));
    expect(parsed).toEqual(event);
    expect(parseCloudEvent(json)).toEqual(event);
    // The result is the union discriminated by type.
    if (parsed.type !== 'purchase.recorded.v1') throw new Error('wrong type');
    expect(parsed.data.customer.email).toBe('Ana.Lima@Example.com');
  });

  it.each(['{"specversion": "1.0",', '', 'undefined', "{'a': 1}"])('refuses bad JSON %j', (raw) => {
    const error = violation(() => parseCloudEvent(Buffer.from(raw)));
    expect(error.code).toBe('invalid-json');
    expect(error.errors[0]).toMatch(/^\(root\): not valid JSON: /);
  });

  it.each([['null'], ['[]'], ['"event"'], ['42']])('refuses JSON %s that is no object', (raw) => {
    const error = violation(() => parseCloudEvent(raw));
    expect(error.code).toBe('invalid-envelope');
    expect(error.errors).toEqual(['(root): must be object']);
  });

  it('refuses bad data', () => {
    const error = violation(() =>
      parseCloudEvent(JSON.stringify({ ...event, data: { ...data, items: [] } })),
    );
    expect(error.code).toBe('invalid-data');
    expect(error.errors).toEqual(['data.items: must NOT have fewer than 1 items']);
  });
});
