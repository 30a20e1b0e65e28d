import { validateEventData, type Entitlement } from '@otl/contracts';
import { assertReplaysItsEvents, propertyParameters, runCommands } from '@otl/testing';
import fc from 'fast-check';
import { terms } from '../../catalog/domain/catalog-entry';
import { entitlementsOf, oneYearAfter, type EntitledItem } from './entitlements';
import {
  LicenseError,
  decideLicense,
  evolveLicense,
  initialLicenseState,
  type Activation,
  type LicenseCommand,
  type LicenseEvent,
} from './license';

const decider = { decide: decideLicense, evolve: evolveLicense, initialState: initialLicenseState };
const isRejection = (error: unknown) => error instanceof LicenseError;

const moment = fc.date({
  min: new Date('2026-01-01T00:00:00.000Z'),
  max: new Date('2027-12-31T00:00:00.000Z'),
  noInvalidDate: true,
});
const products = [
  { product: 'barcode-reader-js', unit: 'device' },
  { product: 'barcode-reader-js', unit: 'domain' },
  { product: 'web-twain', unit: 'domain' },
];

/** Items of a licence, each with the catalog terms it was generated under. */
const entitledItems: fc.Arbitrary<EntitledItem[]> = fc
  .array(
    fc.record({
      catalog: fc.constantFrom(...products),
      quantity: fc.integer({ min: 1, max: 20 }),
      term: fc.constantFrom(...terms),
      seatsPerQuantity: fc.integer({ min: 1, max: 5 }),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((drawn) =>
    drawn.map(({ catalog, quantity, term, seatsPerQuantity }, index) => ({
      itemId: `5b2d6f1e-8a3c-5d4e-9f0a-1b2c3d4e5f6${index}`,
      sku: `${catalog.product}-${catalog.unit}-${term}`.toUpperCase(),
      ...catalog,
      quantity,
      expiresAt: null,
      term,
      seatsPerQuantity,
    })),
  );

const activation: fc.Arbitrary<Activation> = fc.oneof(
  fc.constant({ trackingMode: 'vendor-hosted' as const }),
  fc.record({
    trackingMode: fc.constant('self-hosted' as const),
    ltsInstanceId: fc.constantFrom('lts-a', 'lts-b'),
  }),
);
const command: fc.Arbitrary<LicenseCommand> = fc.oneof(
  fc
    .record({
      type: fc.constant('GenerateLicense' as const),
      licenseId: fc.constant('0b8f5c1e-3a52-4d5e-9a40-4f7f6b1de2a1'),
      accountId: fc.constant('7d5e3b1a-0c2f-4e8a-9b4d-1f2e3d4c5b6a'),
      licenseKeyHash: fc.constant('ab'.repeat(32)),
      items: entitledItems,
      now: moment,
    })
    .map(({ items, ...rest }) => ({
      ...rest,
      items: items.map(({ term: _term, seatsPerQuantity: _seats, ...item }) => item),
      terms: items.map(({ itemId, term, seatsPerQuantity }) => ({ itemId, term, seatsPerQuantity })),
    })),
  fc.record({ type: fc.constant('ActivateLicense' as const), activation, now: moment }),
  fc.record({
    type: fc.constant('RevokeLicense' as const),
    reason: fc.constantFrom('refund', 'abuse'),
    now: moment,
  }),
);
const commands = fc.array(command, { maxLength: 10 });

const count = (events: LicenseEvent[], type: LicenseEvent['type']) =>
  events.filter((event) => event.type === type).length;

describe('licence decider (properties)', () => {
  it('is generated, activated and revoked at most once each, and never activated once revoked', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const { events } = runCommands(decider, sequence, isRejection);
        expect(count(events, 'license.generated.v1')).toBeLessThanOrEqual(1);
        expect(count(events, 'license.generated.v1')).toBe(count(events, 'license.terms-recorded'));
        expect(count(events, 'license.activated.v1')).toBeLessThanOrEqual(1);
        expect(count(events, 'license.revoked.v1')).toBeLessThanOrEqual(1);
        const types = events.map((event) => event.type);
        const revoked = types.indexOf('license.revoked.v1');
        if (revoked >= 0) expect(types.slice(revoked)).not.toContain('license.activated.v1');
        for (const event of events) {
          if (event.type !== 'license.terms-recorded') {
            expect(validateEventData(event.type, event.data)).toEqual({ ok: true });
          }
        }
      }),
      propertyParameters(),
    );
  });

  it('keeps its first activation: the same one again is a no-op, another one a conflict', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        for (const { before, after, command, events, rejection } of runCommands(
          decider,
          sequence,
          isRejection,
        ).steps) {
          if (before.status === 'none' || before.activatedAt === null) continue;
          if (after.status === 'none') throw new Error('a licence disappeared');
          expect([after.trackingMode, after.ltsInstanceId, after.entitlements, after.activatedAt]).toEqual([
            before.trackingMode,
            before.ltsInstanceId,
            before.entitlements,
            before.activatedAt,
          ]);
          if (command.type === 'ActivateLicense' && before.status === 'activated') {
            const ltsInstanceId =
              command.activation.trackingMode === 'self-hosted' ? command.activation.ltsInstanceId : null;
            const same =
              command.activation.trackingMode === before.trackingMode &&
              ltsInstanceId === before.ltsInstanceId;
            if (same) expect([events, rejection]).toEqual([[], null]);
            else expect(rejection).toMatchObject({ code: 'activation-conflict' });
          }
        }
      }),
      propertyParameters(),
    );
  });

  it('activates with the seats of its items, a one-year term running from activation', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const { events, state } = runCommands(decider, sequence, isRejection);
        const activated = events.find((event) => event.type === 'license.activated.v1');
        if (!activated || state.status === 'none') return;
        const at = new Date(activated.data.activatedAt);
        const seats = (
          entitlements: readonly Pick<Entitlement, 'product' | 'unit' | 'seats' | 'expiresAt'>[],
        ) =>
          entitlements.reduce<Record<string, number>>((sum, { product, unit, seats: n, expiresAt }) => {
            const key = `${product}/${unit}/${expiresAt}`;
            return { ...sum, [key]: (sum[key] ?? 0) + n };
          }, {});
        const terms = new Map(state.terms.map((term) => [term.itemId, term]));
        const expected = state.items.map((item) => {
          const term = terms.get(item.itemId);
          if (!term) throw new Error(`no term recorded for ${item.itemId}`);
          return {
            product: item.product,
            unit: item.unit,
            seats: item.quantity * term.seatsPerQuantity,
            expiresAt: term.term === 'perpetual' ? null : oneYearAfter(at).toISOString(),
          };
        });
        expect(seats(activated.data.entitlements)).toEqual(seats(expected));
      }),
      propertyParameters(),
    );
  });

  it('rebuilds from its stored events the state it was folded to step by step', () => {
    assertReplaysItsEvents(decider, commands, isRejection);
  });
});

describe('entitlements (properties)', () => {
  it('grant each product and unit exactly the seats of its items, one entry per expiry, in a stable order', () => {
    fc.assert(
      fc.property(entitledItems, moment, (items, activatedAt) => {
        const entitlements = entitlementsOf(items, activatedAt);
        const keys = entitlements.map(({ product, unit, expiresAt }) =>
          JSON.stringify([product, unit, expiresAt]),
        );
        expect(new Set(keys).size).toBe(keys.length);
        for (const { product, unit } of products) {
          const granted = entitlements
            .filter((e) => e.product === product && e.unit === unit)
            .reduce((sum, e) => sum + e.seats, 0);
          const bought = items
            .filter((i) => i.product === product && i.unit === unit)
            .reduce((sum, i) => sum + i.quantity * i.seatsPerQuantity, 0);
          expect(granted).toBe(bought);
        }
        for (const e of entitlements) {
          expect(e.seats).toBeGreaterThan(0);
          if (e.expiresAt !== null) expect(Date.parse(e.expiresAt)).toBeGreaterThan(activatedAt.getTime());
        }
        // The order does not depend on the order of the items.
        expect(entitlementsOf([...items].reverse(), activatedAt)).toEqual(entitlements);
      }),
      propertyParameters(),
    );
  });
});
