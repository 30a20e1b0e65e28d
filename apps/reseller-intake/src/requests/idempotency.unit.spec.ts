import { canonicalJson, fingerprintOf, isFinalStatus } from './idempotency';

describe('request fingerprints', () => {
  it('are the same for the same body however its keys are ordered or spaced', () => {
    const a = {
      resellerOrderRef: 'R-1',
      customer: { name: 'Ana', email: 'a@example.com' },
      items: [{ sku: 'X', quantity: 1 }],
    };
    const b = JSON.parse(
      '{ "items": [ {"quantity":1,"sku":"X"} ], "customer": {"email":"a@example.com","name":"Ana"}, "resellerOrderRef":"R-1" }',
    );
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(fingerprintOf('POST /v1/reseller/orders', a)).toBe(fingerprintOf('POST /v1/reseller/orders', b));
  });

  it('differ when any value, the order of array items or the operation differs', () => {
    const base = { ref: 'R-1', items: [{ sku: 'X' }, { sku: 'Y' }], total: '1.00' };
    const print = (body: unknown, op = 'POST /v1/reseller/orders') => fingerprintOf(op, body);
    expect(print({ ...base, total: '1.0' })).not.toBe(print(base));
    expect(print({ ...base, items: [{ sku: 'Y' }, { sku: 'X' }] })).not.toBe(print(base));
    expect(print(base, 'POST /v1/other')).not.toBe(print(base));
    expect(print({ ...base, extra: null })).not.toBe(print(base));
  });

  it('keeps 4xx answers and releases the key on 5xx', () => {
    expect(isFinalStatus(201)).toBe(true);
    expect(isFinalStatus(409)).toBe(true);
    expect(isFinalStatus(503)).toBe(false);
  });
});
