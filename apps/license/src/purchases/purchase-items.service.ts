import type { PurchaseAssignedV1, PurchaseRefundedV1 } from '@otl/contracts';
import type { EventTransaction, Statement, StoredEvent } from '@otl/event-store';
import type { Clock } from '@otl/platform';
import type { Catalog } from '../catalog/catalog';
import { change, itemState, licenseState, writes, type Change } from '../infrastructure/writes';
import { decideItem, evolveItem, type ItemState } from '../items/domain/item';
import { decideLicense, evolveLicense, type LicenseState } from '../licenses/domain/license';
import { streams } from '../streams';
import { decidePurchase, evolvePurchase, initialPurchaseState, type PurchaseEvent } from './domain/purchase';

const purchaseState = (events: readonly StoredEvent[]) =>
  (events as unknown as PurchaseEvent[]).reduce(evolvePurchase, initialPurchaseState);

/**
 * What purchases do to licence items, inside the inbox transaction of the event that brings them:
 * an assignment records the items (refunded at once when the refund came first); a refund refunds
 * them and revokes every licence holding them, or is held until the assignment arrives.
 */
export class PurchaseItems {
  constructor(
    private readonly catalog: Catalog,
    private readonly now: Clock,
  ) {}

  /** The streams an assignment locks: its purchase and every item. */
  static assignmentLocks(assigned: PurchaseAssignedV1): string[] {
    return [
      streams.purchase(assigned.purchaseId),
      ...assigned.items.map((item) => streams.item(item.itemId)),
    ];
  }

  /** A refund locks its purchase first; the items and licences it finds there come after, in that order. */
  static refundLocks(refunded: PurchaseRefundedV1): string[] {
    return [streams.purchase(refunded.purchaseId)];
  }

  async onAssigned(tx: EventTransaction, assigned: PurchaseAssignedV1): Promise<(Statement | null)[]> {
    const purchaseStream = streams.purchase(assigned.purchaseId);
    const slice = await tx.readStream(purchaseStream);
    const state = purchaseState(slice.events);
    const itemIds = assigned.items.map((item) => item.itemId);
    const events = decidePurchase({ type: 'AssignPurchase', accountId: assigned.accountId, itemIds }, state);
    if (events.length === 0) return [];
    const now = this.now();
    const items: Change<ItemState>[] = [];
    for (const [position, item] of assigned.items.entries()) {
      const itemSlice = await tx.readStream(streams.item(item.itemId));
      const before = itemState(itemSlice.events);
      const catalog = this.catalog.find(item.sku) ?? null;
      const recorded = decideItem(
        {
          type: 'RecordItem',
          item: {
            itemId: item.itemId,
            purchaseId: assigned.purchaseId,
            accountId: assigned.accountId,
            channel: assigned.channel,
            externalRef: assigned.externalRef,
            sku: item.sku,
            quantity: item.quantity,
            position,
            catalog,
            catalogVersion: this.catalog.version,
            purchasedAt: assigned.assignedAt,
          },
        },
        before,
      );
      const refunded = state.refunded
        ? decideItem({ type: 'RefundItem', now }, recorded.reduce(evolveItem, before))
        : [];
      items.push(
        change(streams.item(item.itemId), itemSlice.version, before, [...recorded, ...refunded], evolveItem),
      );
    }
    const purchase = change(purchaseStream, slice.version, state, events, evolvePurchase);
    return writes(tx, { items, others: [purchase] });
  }

  async onRefunded(tx: EventTransaction, refunded: PurchaseRefundedV1): Promise<(Statement | null)[]> {
    const purchaseStream = streams.purchase(refunded.purchaseId);
    const slice = await tx.readStream(purchaseStream);
    const state = purchaseState(slice.events);
    const { refundedAt, reason } = refunded;
    const events = decidePurchase({ type: 'RefundPurchase', refundedAt, reason }, state);
    const purchase = change(purchaseStream, slice.version, state, events, evolvePurchase);
    if (events.length === 0 || !state.assigned) return writes(tx, { others: [purchase] });

    const now = this.now();
    const itemStreams = state.assigned.itemIds.map(streams.item);
    await tx.lockStreams(itemStreams, { read: itemStreams });
    const items: Change<ItemState>[] = [];
    const licenseIds = new Set<string>();
    for (const stream of itemStreams) {
      const itemSlice = await tx.readStream(stream);
      const before = itemState(itemSlice.events);
      if (before.status !== 'unknown' && before.licenseId) licenseIds.add(before.licenseId);
      items.push(
        change(
          stream,
          itemSlice.version,
          before,
          decideItem({ type: 'RefundItem', now }, before),
          evolveItem,
        ),
      );
    }
    const licenseStreams = [...licenseIds].map(streams.license);
    await tx.lockStreams(licenseStreams, { read: licenseStreams });
    const licenses: Change<LicenseState>[] = [];
    /** Items of other purchases that a revoked licence also held, by licence. */
    const released = new Map<string, string[]>();
    const refundedItems = new Set(state.assigned.itemIds);
    for (const stream of licenseStreams) {
      const licenseSlice = await tx.readStream(stream);
      const before = licenseState(licenseSlice.events);
      const revoked = decideLicense({ type: 'RevokeLicense', reason: 'refund', now }, before);
      licenses.push(change(stream, licenseSlice.version, before, revoked, evolveLicense));
      if (revoked.length > 0 && before.status !== 'none') {
        const others = before.items.map((item) => item.itemId).filter((itemId) => !refundedItems.has(itemId));
        if (others.length > 0) released.set(before.licenseId, others);
      }
    }
    // Those items were paid for and are not refunded: they become available for a new licence.
    // (Locked after the licences: a refund of their own purchase, racing this one, may deadlock with
    // it, which Postgres breaks by failing one transaction; the inbox then retries it.)
    const otherStreams = [...released.values()].flat().map(streams.item);
    await tx.lockStreams(otherStreams, { read: otherStreams });
    for (const [licenseId, itemIds] of released) {
      for (const itemId of itemIds) {
        const stream = streams.item(itemId);
        const itemSlice = await tx.readStream(stream);
        const before = itemState(itemSlice.events);
        const events = decideItem(
          { type: 'ReleaseItem', licenseId, reason: 'licence revoked: another purchase refunded', now },
          before,
        );
        items.push(change(stream, itemSlice.version, before, events, evolveItem));
      }
    }
    return writes(tx, { items, licenses, others: [purchase] });
  }
}
