import { propertyParameters, replay, runCommands } from '@otl/testing';
import fc from 'fast-check';
import {
  ItemNotAvailableError,
  decideItem,
  evolveItem,
  initialItemState,
  type ItemCommand,
  type ItemRecorded,
} from './item';

const decider = { decide: decideItem, evolve: evolveItem, initialState: initialItemState };
const isRejection = (error: unknown) => error instanceof ItemNotAvailableError;

const licenseIds = [
  '0b8f5c1e-3a52-4d5e-9a40-4f7f6b1de2a1',
  '1c9f6d2f-4b63-4e6f-8b51-5a8a7c2ef3b2',
  '2da07e3a-5c74-4f7a-9c62-6b9b8d3fa4c3',
];
const moment = fc.date({
  min: new Date('2026-01-01T00:00:00.000Z'),
  max: new Date('2027-12-31T00:00:00.000Z'),
  noInvalidDate: true,
});
const catalog = {
  sku: 'BARCODE-JS-DEVICE-1Y',
  product: 'barcode-reader-js',
  unit: 'device',
  term: '1y' as const,
  seatsPerQuantity: 1,
};
const item = (known: boolean, quantity: number): ItemRecorded => ({
  itemId: '5b2d6f1e-8a3c-5d4e-9f0a-1b2c3d4e5f60',
  purchaseId: '11111111-1111-5111-8111-111111111111',
  accountId: '7d5e3b1a-0c2f-4e8a-9b4d-1f2e3d4c5b6a',
  channel: 'store',
  externalRef: 'ST-1',
  sku: catalog.sku,
  quantity,
  position: 0,
  // An unknown SKU is held for review and cannot be licensed.
  catalog: known ? catalog : null,
  catalogVersion: 1,
  purchasedAt: '2026-01-01T00:00:00.000Z',
});

const command: fc.Arbitrary<ItemCommand> = fc.oneof(
  fc.record({
    type: fc.constant('RecordItem' as const),
    item: fc
      .tuple(
        fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
        fc.integer({ min: 1, max: 5 }),
      )
      .map(([known, quantity]) => item(known, quantity)),
  }),
  fc.record({
    type: fc.constant('LicenseItem' as const),
    licenseId: fc.constantFrom(...licenseIds),
    now: moment,
  }),
  fc.record({
    type: fc.constant('ReleaseItem' as const),
    licenseId: fc.constantFrom(...licenseIds),
    reason: fc.constant('licence revoked: another purchase refunded'),
    now: moment,
  }),
  fc.record({ type: fc.constant('RefundItem' as const), now: moment }),
);
const commands = fc.array(command, { maxLength: 14 });

describe('item decider (properties)', () => {
  it('is held by at most one licence at a time, and only its holder releases it', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        let holder: string | null = null;
        for (const { command, events } of runCommands(decider, sequence, isRejection).steps) {
          // A licence that does not hold the item releases nothing.
          if (command.type === 'ReleaseItem' && command.licenseId !== holder) expect(events).toEqual([]);
          for (const event of events) {
            if (event.type === 'license.item-licensed') {
              expect(holder).toBeNull();
              holder = event.data.licenseId;
            }
            if (event.type === 'license.item-released') {
              expect(event.data.licenseId).toBe(holder);
              holder = null;
            }
          }
        }
      }),
      propertyParameters(),
    );
  });

  it('is never licensed after its refund, nor before it is recorded, nor while it needs review', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        for (const { before, after, command, events, rejection } of runCommands(
          decider,
          sequence,
          isRejection,
        ).steps) {
          if (command.type === 'LicenseItem' && before.status !== 'available') {
            expect(rejection).toBeInstanceOf(ItemNotAvailableError);
          }
          if (command.type === 'LicenseItem' && before.status === 'available') {
            expect(events.map((event) => event.type)).toEqual(['license.item-licensed']);
          }
          // A refund is final, and a second one decides nothing.
          if (events.some((event) => event.type === 'license.item-refunded'))
            expect(after.status).toBe('refunded');
          if (before.status === 'refunded') {
            expect(after.status).toBe('refunded');
            if (command.type === 'RefundItem') expect(events).toEqual([]);
          }
          // A licensed item names its licence; one free to license names none.
          if (after.status === 'licensed') expect(after.licenseId).not.toBeNull();
          if (after.status === 'available' || after.status === 'needs-review')
            expect(after.licenseId).toBeNull();
        }
      }),
      propertyParameters(),
    );
  });

  it('records an item once and rebuilds from its stored events the state it was folded to', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const run = runCommands(decider, sequence, isRejection);
        expect(run.events.filter((event) => event.type === 'license.item-recorded').length).toBe(
          sequence.some((c) => c.type === 'RecordItem') ? 1 : 0,
        );
        expect(
          run.events.filter((event) => event.type === 'license.item-refunded').length,
        ).toBeLessThanOrEqual(1);
        expect(replay(decider, run.events)).toEqual(run.state);
      }),
      propertyParameters(),
    );
  });
});
