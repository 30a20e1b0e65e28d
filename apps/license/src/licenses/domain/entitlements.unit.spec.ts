import { entitlementsOf, oneYearAfter } from './entitlements';

describe('entitlements', () => {
  it('sums seats per product and expiry; a year runs from activation; perpetual never expires', () => {
    const activatedAt = new Date('2026-11-27T10:00:00.000Z');
    const item = (
      product: string,
      unit: string,
      quantity: number,
      term: '1y' | 'perpetual',
      seatsPerQuantity = 1,
    ) => ({
      itemId: `${product}-${quantity}`,
      sku: 'X',
      product,
      unit,
      quantity,
      expiresAt: null,
      term,
      seatsPerQuantity,
    });
    expect(
      entitlementsOf(
        [
          item('web-twain', 'domain', 2, '1y'),
          item('web-twain', 'domain', 3, '1y', 5),
          item('barcode-reader-server', 'instance', 1, 'perpetual'),
        ],
        activatedAt,
      ),
    ).toEqual([
      { product: 'barcode-reader-server', unit: 'instance', seats: 1, expiresAt: null },
      { product: 'web-twain', unit: 'domain', seats: 17, expiresAt: '2027-11-27T10:00:00.000Z' },
    ]);
    expect(oneYearAfter(new Date('2028-02-29T00:00:00.000Z')).toISOString()).toBe('2029-03-01T00:00:00.000Z');
  });
});
