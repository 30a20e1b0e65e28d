import type { EventDataOf, PublicEventType } from './topics';

/** Sample data of every public event type: the ids of one purchase, account and licence. */
export const exampleIds = {
  purchase: '6f1c3c2e-3a5b-4c1d-9e2f-0a1b2c3d4e5f',
  item: '0b9f8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d',
  account: 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f',
  license: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  reseller: 'f0e1d2c3-b4a5-4968-8776-655443322110',
};
/** Hex SHA-256 of a licence key (never the key itself). */
export const exampleLicenseKeyHash = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

const purchaseItem = {
  itemId: exampleIds.item,
  sku: 'BARCODE-JS-DEVICE-1Y',
  quantity: 2,
  unitPrice: '1249.00',
};

/**
 * Contract-shaped data for each event, with every nullable field set so that nulling it is a change.
 * The unit specs mutate them field by field; the AsyncAPI document shows them as message examples.
 */
export const eventExamples: { [T in PublicEventType]: EventDataOf<T> } = {
  'purchase.recorded.v1': {
    purchaseId: exampleIds.purchase,
    channel: 'reseller',
    externalRef: 'RS-77-0042',
    resellerId: exampleIds.reseller,
    customer: { email: 'Ana.Lima@Example.com', name: 'Ana Lima', company: 'Example Ltd' },
    items: [purchaseItem],
    currency: 'USD',
    total: '2498.00',
    recordedAt: '2026-11-27T10:00:01.123Z',
  },
  'purchase.refunded.v1': {
    purchaseId: exampleIds.purchase,
    channel: 'store',
    externalRef: 'ST-100234',
    refundedAt: '2026-11-28T09:00:00Z',
    reason: 'customer request',
  },
  'account.created.v1': {
    accountId: exampleIds.account,
    email: 'Ana.Lima@Example.com',
    name: 'Ana Lima',
    company: 'Example Ltd',
    origin: 'purchase',
    createdAt: '2026-11-27T10:00:02Z',
  },
  'purchase.assigned.v1': {
    purchaseId: exampleIds.purchase,
    accountId: exampleIds.account,
    channel: 'store',
    externalRef: 'ST-100234',
    items: [purchaseItem],
    assignedAt: '2026-11-27T10:00:02Z',
  },
  'license.generated.v1': {
    licenseId: exampleIds.license,
    accountId: exampleIds.account,
    licenseKeyHash: exampleLicenseKeyHash,
    items: [
      {
        itemId: exampleIds.item,
        sku: 'BARCODE-JS-DEVICE-1Y',
        product: 'barcode-reader-js',
        unit: 'device',
        quantity: 2,
        expiresAt: '2027-11-27T10:05:00Z',
      },
    ],
    generatedAt: '2026-11-27T10:05:00Z',
  },
  'license.activated.v1': {
    licenseId: exampleIds.license,
    accountId: exampleIds.account,
    trackingMode: 'self-hosted',
    ltsInstanceId: 'lts-7d2f9a',
    entitlements: [
      { product: 'barcode-reader-js', unit: 'device', seats: 2, expiresAt: '2027-11-27T10:06:00Z' },
    ],
    activatedAt: '2026-11-27T10:06:00Z',
  },
  'license.revoked.v1': {
    licenseId: exampleIds.license,
    accountId: exampleIds.account,
    reason: 'purchase refunded',
    revokedAt: '2026-11-28T09:00:01Z',
  },
  'usage.recorded.v1': {
    licenseId: exampleIds.license,
    accountId: exampleIds.account,
    product: 'barcode-reader-js',
    action: 'lease.acquired',
    seatsInUse: 1,
    seatsTotal: 2,
    at: '2026-11-27T10:07:00Z',
  },
};
