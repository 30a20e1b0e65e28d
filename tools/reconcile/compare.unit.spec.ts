// tools/reconcile/compare.mjs is an ES module and Jest runs specs as CommonJS: a child Node evaluates it.
import { evaluateInModules } from '@otl/testing';

type Reconciliation = {
  counts: Record<string, number>;
  inFlight: number;
  awaitingReview: { total: number; overdue: { poNumber: string }[] };
  stuck: { purchaseId: string; ageSeconds: number; stoppedAt: string }[];
  inconsistent: { kind: string; subject: string; problem: string; purchaseId?: string }[];
  deadLetters: Record<string, number>;
};

const NOW = '2026-12-03T12:00:00.000Z';
const P1 = '11111111-1111-4111-8111-111111111111';
const P2 = '22222222-2222-4222-8222-222222222222';
const ACCOUNT = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const I1 = '1a1a1a1a-1a1a-41a1-81a1-1a1a1a1a1a1a';
const I2 = '2b2b2b2b-2b2b-42b2-82b2-2b2b2b2b2b2b';
const L1 = 'c1c1c1c1-c1c1-4c1c-8c1c-c1c1c1c1c1c1';
const L2 = 'c2c2c2c2-c2c2-4c2c-8c2c-c2c2c2c2c2c2';
const minutesAgo = (minutes: number) => new Date(Date.parse(NOW) - minutes * 60_000).toISOString();

const lines = [
  { itemId: I1, sku: 'BARCODE-JS-DEVICE-1Y', quantity: 5, unitPrice: '10.00' },
  { itemId: I2, sku: 'BARCODE-JS-SERVER-PERP', quantity: 1, unitPrice: '90.00' },
];
const purchase = { purchaseId: P1, channel: 'store', externalRef: 'S-1', items: lines };
const recordedEvent = {
  type: 'purchase.recorded.v1',
  eventId: 'e-rec-1',
  recordedAt: minutesAgo(60),
  forwarded: true,
  data: purchase,
};
const onTopic = { id: 'e-rec-1', type: 'purchase.recorded.v1', data: purchase };
const assigned = {
  id: 'e-asg-1',
  type: 'purchase.assigned.v1',
  data: { ...purchase, accountId: ACCOUNT, assignedAt: minutesAgo(59) },
};
const item = (itemId: string, quantity: number, extra: Record<string, unknown> = {}) => ({
  itemId,
  purchaseId: P1,
  accountId: ACCOUNT,
  sku: 'SKU',
  quantity,
  status: 'available',
  licenseId: null,
  ...extra,
});

type StoredEvent = { type: string; eventId: string; recordedAt: string; forwarded: boolean; data: object };

/** A purchase that went all the way: recorded, published, assigned, both lines itemised. */
const through = () => ({
  produced: { 'store-webhook': [recordedEvent] } as Record<string, StoredEvent[]>,
  purchasesTopic: [onTopic],
  accountsTopic: [assigned],
  accountInbox: [['e-rec-1', minutesAgo(59)]],
  licenseInbox: [['e-asg-1', minutesAgo(58)]],
  license: { items: [item(I1, 5), item(I2, 1)], licenses: [] as unknown[] },
  resellerOrders: [] as unknown[],
  awaitingReview: [] as unknown[],
  deadLetters: {},
  unreadable: [],
});
type Snapshot = ReturnType<typeof through>;

const reconcile = (snapshot: Snapshot, stuckAfterSeconds = 900) =>
  evaluateInModules<Reconciliation>(
    { c: 'tools/reconcile/compare.mjs' },
    `const s = ${JSON.stringify(snapshot)};
     return c.reconcile({ ...s, accountInbox: new Map(s.accountInbox), licenseInbox: new Map(s.licenseInbox) },
       { now: new Date(${JSON.stringify(NOW)}), stuckAfterSeconds: ${stuckAfterSeconds} });`,
  );
const problems = (result: Reconciliation) => result.inconsistent.map((entry) => entry.problem);

describe('the reconciliation', () => {
  it('finds a purchase that went all the way neither stuck nor inconsistent', () => {
    const result = reconcile(through());
    expect(result).toMatchObject({ stuck: [], inconsistent: [], inFlight: 0 });
    expect(result.counts).toEqual({
      recorded: 1,
      published: 1,
      assigned: 1,
      itemised: 1,
      licensed: 0,
      refunded: 0,
    });
  });

  it('says where a purchase stopped, and how long ago, at every stage', () => {
    const unforwarded = { ...through(), purchasesTopic: [], accountsTopic: [], accountInbox: [] };
    unforwarded.produced = { 'store-webhook': [{ ...recordedEvent, forwarded: false }] };
    unforwarded.license = { items: [], licenses: [] };
    expect(reconcile(unforwarded).stuck).toEqual([
      {
        purchaseId: P1,
        channel: 'store',
        externalRef: 'S-1',
        ageSeconds: 3600,
        stoppedAt: 'store-webhook: in its event store, not yet on purchases.v1',
      },
    ]);
    const unconsumed = { ...unforwarded, purchasesTopic: [onTopic], produced: through().produced };
    expect(reconcile(unconsumed).stuck[0]?.stoppedAt).toBe('account: not consumed from purchases.v1 yet');
    const unassigned = { ...unconsumed, accountInbox: through().accountInbox };
    expect(reconcile(unassigned).stuck[0]?.stoppedAt).toBe(
      'account: consumed, but no purchase.assigned.v1 on accounts.v1',
    );
    const halfItemised = { ...through(), licenseInbox: [] };
    halfItemised.license = { items: [item(I1, 5)], licenses: [] };
    expect(reconcile(halfItemised).stuck).toEqual([
      expect.objectContaining({
        ageSeconds: 59 * 60,
        stoppedAt: 'license: assignment not consumed yet (1 of 2 items)',
      }),
    ]);
    expect(reconcile(halfItemised).counts).toMatchObject({ assigned: 1, itemised: 0 });
  });

  it('counts a purchase younger than the threshold as still moving, not stuck', () => {
    const moving = { ...through(), accountsTopic: [] };
    moving.license = { items: [], licenses: [] };
    expect(reconcile(moving, 3 * 3600)).toMatchObject({ stuck: [], inFlight: 1 });
    expect(reconcile(moving, 0).stuck).toHaveLength(1);
  });

  it('takes a record delivered twice for the same event, but reports everything done twice', () => {
    const redelivered = {
      ...through(),
      purchasesTopic: [onTopic, onTopic],
      accountsTopic: [assigned, assigned],
    };
    expect(reconcile(redelivered).inconsistent).toEqual([]);

    const twice = { ...through(), accountsTopic: [assigned, { ...assigned, id: 'e-asg-2' }] };
    expect(reconcile(twice).inconsistent).toEqual([
      {
        kind: 'duplicate',
        purchaseId: P1,
        subject: `purchase ${P1} (store S-1)`,
        problem: 'assigned 2 times (distinct event ids)',
      },
    ]);

    const second = { ...purchase, purchaseId: P2 };
    const recordedTwice = through();
    recordedTwice.produced['store-webhook']?.push({ ...recordedEvent, eventId: 'e-rec-2', data: second });
    expect(reconcile(recordedTwice).inconsistent).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'duplicate', purchaseId: P1, subject: 'order store/S-1' }),
        expect.objectContaining({ kind: 'duplicate', purchaseId: P2, subject: 'order store/S-1' }),
      ]),
    );

    const extraItem = through();
    extraItem.license.items.push(item('3c3c3c3c-3c3c-43c3-83c3-3c3c3c3c3c3c', 1));
    expect(problems(reconcile(extraItem))).toEqual(
      expect.arrayContaining(['3 licence items for 2 purchased lines']),
    );
  });

  it('reports licences that hold an item twice, more seats than bought or a refunded item', () => {
    const licensed = through();
    licensed.license.items = [item(I1, 5, { status: 'licensed', licenseId: L1 }), item(I2, 1)];
    licensed.license.licenses = [
      { licenseId: L1, accountId: ACCOUNT, status: 'activated', items: [{ itemId: I1, quantity: 5 }] },
    ];
    expect(reconcile(licensed)).toMatchObject({ inconsistent: [], counts: { licensed: 1 } });

    const twoLicences = structuredClone(licensed);
    twoLicences.license.licenses.push({
      licenseId: L2,
      accountId: ACCOUNT,
      status: 'generated',
      items: [{ itemId: I1, quantity: 5 }],
    });
    expect(problems(reconcile(twoLicences))).toEqual(
      expect.arrayContaining([`item ${I1} is also in licence ${L1}`, `item ${I1} says it is in ${L1}`]),
    );

    const overSeated = structuredClone(licensed);
    overSeated.license.licenses = [
      { licenseId: L1, accountId: ACCOUNT, status: 'activated', items: [{ itemId: I1, quantity: 6 }] },
    ];
    expect(problems(reconcile(overSeated))).toEqual([`6 seats of item ${I1}, which holds 5`]);

    const itemSeats = through();
    itemSeats.license.items = [item(I1, 7), item(I2, 1)];
    expect(problems(reconcile(itemSeats))).toEqual(['7 seats, 5 bought']);
  });

  it('tells a refund still on its way from one the license service consumed and did not apply', () => {
    const refund = {
      type: 'purchase.refunded.v1',
      eventId: 'e-ref-1',
      recordedAt: minutesAgo(30),
      forwarded: true,
      data: { purchaseId: P1 },
    };
    const refunded = through();
    refunded.produced['store-webhook']?.push(refund);
    refunded.purchasesTopic.push({ id: 'e-ref-1', type: 'purchase.refunded.v1', data: purchase });
    expect(reconcile(refunded).stuck).toEqual([
      expect.objectContaining({ ageSeconds: 1800, stoppedAt: 'license: refund not applied yet' }),
    ]);
    refunded.licenseInbox.push(['e-ref-1', minutesAgo(29)]);
    expect(problems(reconcile(refunded))).toEqual(['refunded, but 2 of its items are not']);
    refunded.license.items = [item(I1, 5, { status: 'refunded' }), item(I2, 1, { status: 'refunded' })];
    expect(reconcile(refunded)).toMatchObject({ stuck: [], inconsistent: [], counts: { refunded: 1 } });
  });

  it('reports an assignment, items or a refund of a purchase no channel recorded', () => {
    const orphans = { ...through(), produced: {}, purchasesTopic: [] };
    expect(problems(reconcile(orphans))).toEqual(['assigned, but never recorded']);
    const ghost = { ...through(), accountsTopic: [] };
    ghost.license = { items: [item(I1, 5)], licenses: [] };
    expect(problems(reconcile(ghost))).toContain(`of purchase ${P1}, which was never assigned`);
  });

  it('lists the overdue purchase orders and passes the dead letters through', () => {
    const desk = through();
    desk.awaitingReview = [
      { purchaseOrderId: P2, poNumber: 'PO-OLD', receivedAt: minutesAgo(3000), dueBy: minutesAgo(60) },
      { purchaseOrderId: P1, poNumber: 'PO-NEW', receivedAt: minutesAgo(10), dueBy: minutesAgo(-600) },
    ];
    desk.deadLetters = { 'purchases.v1.dlq': 2 };
    const result = reconcile(desk);
    expect(result.awaitingReview).toEqual({
      total: 2,
      overdue: [expect.objectContaining({ poNumber: 'PO-OLD' })],
    });
    expect(result.deadLetters).toEqual({ 'purchases.v1.dlq': 2 });
  });
});
