import { LeaseError, leasable, leaseExpiry, type LeaseErrorCode, type TrackedLicense } from './lease';

const now = new Date('2026-12-01T10:00:00.000Z');
const license: TrackedLicense = {
  licenseId: '0b8f5c1e-3a52-4d5e-9a40-4f7f6b1de2a1',
  accountId: '7d5e3b1a-0c2f-4e8a-9b4d-1f2e3d4c5b6a',
  status: 'activated',
  trackingMode: 'vendor-hosted',
  ltsInstanceId: null,
  entitlements: [
    { product: 'barcode-reader-js', unit: 'device', seats: 4, expiresAt: '2027-12-01T10:00:00.000Z' },
    { product: 'barcode-reader-js', unit: 'device', seats: 2, expiresAt: '2026-12-01T09:00:00.000Z' },
    { product: 'barcode-reader-server', unit: 'instance', seats: 3, expiresAt: null },
  ],
};

function refusal(run: () => unknown): { code: LeaseErrorCode; details: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    if (error instanceof LeaseError) return { code: error.code, details: error.details };
    throw error;
  }
  throw new Error('expected a LeaseError');
}

describe('leasable', () => {
  it('grants the live seats of the named product, up to its latest term end', () => {
    expect(leasable(license, 'barcode-reader-js', 'vendor-hosted', now)).toEqual({
      product: 'barcode-reader-js',
      unit: 'device',
      seatsTotal: 4, // the 2 seats whose term ended an hour ago no longer count
      termEndsAt: new Date('2027-12-01T10:00:00.000Z'),
    });
    expect(leasable(license, 'barcode-reader-server', 'vendor-hosted', now)).toEqual({
      product: 'barcode-reader-server',
      unit: 'instance',
      seatsTotal: 3,
      termEndsAt: null,
    });
  });

  it('takes the only product when none is named, and asks for one when there are several', () => {
    const single = { ...license, entitlements: license.entitlements.slice(2) };
    expect(leasable(single, undefined, 'vendor-hosted', now).product).toBe('barcode-reader-server');
    expect(refusal(() => leasable(license, undefined, 'vendor-hosted', now))).toEqual({
      code: 'product-required',
      details: { products: ['barcode-reader-js', 'barcode-reader-server'] },
    });
    expect(refusal(() => leasable(license, 'web-twain', 'vendor-hosted', now)).code).toBe(
      'product-not-licensed',
    );
  });

  it.each<[string, Partial<TrackedLicense>, LeaseErrorCode]>([
    ['revoked', { status: 'revoked' }, 'license-revoked'],
    ['not activated', { status: 'generated', trackingMode: null }, 'license-not-activated'],
    [
      'activated for the other mode',
      { trackingMode: 'self-hosted', ltsInstanceId: 'lts-1' },
      'wrong-tracking-mode',
    ],
  ])('refuses a licence that is %s', (_case, change, code) => {
    expect(
      refusal(() => leasable({ ...license, ...change }, 'barcode-reader-js', 'vendor-hosted', now)).code,
    ).toBe(code);
  });

  it('refuses a product whose every term has ended, to the second', () => {
    const ended = {
      ...license,
      entitlements: [
        { product: 'barcode-reader-js', unit: 'device', seats: 4, expiresAt: now.toISOString() },
      ],
    };
    expect(refusal(() => leasable(ended, undefined, 'vendor-hosted', now)).code).toBe('license-expired');
    expect(leasable(ended, undefined, 'vendor-hosted', new Date(now.getTime() - 1)).seatsTotal).toBe(4);
  });
});

describe('leaseExpiry', () => {
  it('runs the TTL from now, but never past the term', () => {
    expect(leaseExpiry(now, 600, null)).toEqual(new Date('2026-12-01T10:10:00.000Z'));
    expect(leaseExpiry(now, 600, new Date('2026-12-01T10:05:00.000Z'))).toEqual(
      new Date('2026-12-01T10:05:00.000Z'),
    );
    expect(leaseExpiry(now, 600, new Date('2027-01-01T00:00:00.000Z'))).toEqual(
      new Date('2026-12-01T10:10:00.000Z'),
    );
  });
});
