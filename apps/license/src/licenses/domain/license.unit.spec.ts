import { deciderSpec } from '@otl/testing';
import {
  ItemNotAvailableError,
  decideItem,
  evolveItem,
  initialItemState,
  type ItemEvent,
  type ItemRecorded,
} from '../../items/domain/item';
import {
  LicenseError,
  decideLicense,
  evolveLicense,
  initialLicenseState,
  type LicenseEvent,
} from './license';

const now = new Date('2026-11-27T10:00:00.000Z');
const at = now.toISOString();
const licenseId = '0b8f5c1e-3a52-4d5e-9a40-4f7f6b1de2a1';
const accountId = '7d5e3b1a-0c2f-4e8a-9b4d-1f2e3d4c5b6a';
const catalog = {
  sku: 'BARCODE-JS-DEVICE-1Y',
  product: 'barcode-reader-js',
  unit: 'device',
  term: '1y' as const,
  seatsPerQuantity: 1,
};
const recorded = (withCatalog = true): ItemRecorded => ({
  itemId: '5b2d6f1e-8a3c-5d4e-9f0a-1b2c3d4e5f60',
  purchaseId: '11111111-1111-5111-8111-111111111111',
  accountId,
  channel: 'store',
  externalRef: 'ST-1',
  sku: catalog.sku,
  quantity: 2,
  position: 0,
  catalog: withCatalog ? catalog : null,
  catalogVersion: 1,
  purchasedAt: at,
});

describe('item decider', () => {
  const spec = deciderSpec({ decide: decideItem, evolve: evolveItem, initialState: initialItemState });
  const item: ItemEvent = { type: 'license.item-recorded', data: recorded() };
  const licensed: ItemEvent = {
    type: 'license.item-licensed',
    data: { itemId: recorded().itemId, licenseId, licensedAt: at },
  };
  const refunded: ItemEvent = {
    type: 'license.item-refunded',
    data: { itemId: recorded().itemId, refundedAt: at },
  };

  it('records an item once', () => {
    spec([]).when({ type: 'RecordItem', item: recorded() }).then([item]);
    spec([item]).when({ type: 'RecordItem', item: recorded() }).then([]);
  });
  it('licenses an available item', () =>
    spec([item]).when({ type: 'LicenseItem', licenseId, now }).then([licensed]));
  it.each([
    ['licensed', [item, licensed]],
    ['refunded', [item, refunded]],
    ['needs-review', [{ type: 'license.item-recorded', data: recorded(false) } as ItemEvent]],
    ['unknown', []],
  ])('refuses to license an item that is %s', (_status, given) =>
    spec(given as ItemEvent[])
      .when({ type: 'LicenseItem', licenseId, now })
      .thenThrows(ItemNotAvailableError),
  );
  it('refunds once, licensed or not', () => {
    spec([item, licensed]).when({ type: 'RefundItem', now }).then([refunded]);
    spec([item, refunded]).when({ type: 'RefundItem', now }).then([]);
  });
  const release = { type: 'ReleaseItem', licenseId, reason: 'another purchase refunded', now } as const;
  const released: ItemEvent = {
    type: 'license.item-released',
    data: { itemId: recorded().itemId, licenseId, reason: 'another purchase refunded', releasedAt: at },
  };
  it('releases an item its revoked licence held, which can then be licensed again', () => {
    spec([item, licensed]).when(release).then([released]);
    spec([item, licensed, released])
      .when({ type: 'LicenseItem', licenseId: 'another-licence', now })
      .then([
        {
          type: 'license.item-licensed',
          data: { itemId: recorded().itemId, licenseId: 'another-licence', licensedAt: at },
        },
      ]);
  });
  it.each([
    ['available', [item]],
    ['refunded', [item, licensed, refunded]],
    ['released already', [item, licensed, released]],
    [
      'held by another licence',
      [item, { ...licensed, data: { ...licensed.data, licenseId: 'another-licence' } }],
    ],
    ['unknown', []],
  ])('releases nothing when the item is %s', (_case, given) =>
    spec(given as ItemEvent[])
      .when(release)
      .then([]),
  );
});

describe('licence decider', () => {
  const spec = deciderSpec({
    decide: decideLicense,
    evolve: evolveLicense,
    initialState: initialLicenseState,
  });
  const items = [
    {
      itemId: recorded().itemId,
      sku: catalog.sku,
      product: catalog.product,
      unit: catalog.unit,
      quantity: 2,
      expiresAt: null,
    },
  ];
  const terms = [{ itemId: recorded().itemId, term: '1y' as const, seatsPerQuantity: 1 }];
  const generated: LicenseEvent[] = [
    {
      type: 'license.generated.v1',
      data: { licenseId, accountId, licenseKeyHash: 'a'.repeat(64), items, generatedAt: at },
    },
    { type: 'license.terms-recorded', data: { items: terms } },
  ];
  // Two devices for one year from activation: the entitlements the licence file will carry too.
  const entitlements = [
    { product: 'barcode-reader-js', unit: 'device', seats: 2, expiresAt: '2027-11-27T10:00:00.000Z' },
  ];
  const vendor: LicenseEvent = {
    type: 'license.activated.v1',
    data: {
      licenseId,
      accountId,
      trackingMode: 'vendor-hosted',
      ltsInstanceId: null,
      entitlements,
      activatedAt: at,
    },
  };
  const revoked: LicenseEvent = {
    type: 'license.revoked.v1',
    data: { licenseId, accountId, reason: 'refund', revokedAt: at },
  };

  it('generates with the terms of its items', () =>
    spec([])
      .when({
        type: 'GenerateLicense',
        licenseId,
        accountId,
        licenseKeyHash: 'a'.repeat(64),
        items,
        terms,
        now,
      })
      .then(generated));
  it('activates once; the same again is a no-op; another mode or LTS is a conflict', () => {
    spec(generated)
      .when({ type: 'ActivateLicense', activation: { trackingMode: 'vendor-hosted' }, now })
      .then([vendor]);
    spec([...generated, vendor])
      .when({ type: 'ActivateLicense', activation: { trackingMode: 'vendor-hosted' }, now })
      .then([]);
    spec([...generated, vendor])
      .when({
        type: 'ActivateLicense',
        activation: { trackingMode: 'self-hosted', ltsInstanceId: 'lts-1' },
        now,
      })
      .thenThrows(LicenseError);
    const selfHosted: LicenseEvent = {
      type: 'license.activated.v1',
      data: {
        licenseId,
        accountId,
        trackingMode: 'self-hosted',
        ltsInstanceId: 'lts-1',
        entitlements,
        activatedAt: at,
      },
    };
    spec([...generated, selfHosted])
      .when({
        type: 'ActivateLicense',
        activation: { trackingMode: 'self-hosted', ltsInstanceId: 'lts-2' },
        now,
      })
      .thenThrows(LicenseError);
  });
  it('cannot activate a revoked licence, and revokes only once', () => {
    spec([...generated, revoked])
      .when({ type: 'ActivateLicense', activation: { trackingMode: 'vendor-hosted' }, now })
      .thenThrows(LicenseError);
    spec([...generated, vendor])
      .when({ type: 'RevokeLicense', reason: 'refund', now })
      .then([revoked]);
    spec([...generated, revoked])
      .when({ type: 'RevokeLicense', reason: 'refund', now })
      .then([]);
  });
});
