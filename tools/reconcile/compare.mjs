// The reconciliation itself, pure: from what each service holds (sources.mjs reads it) to how far
// every purchase got, which ones are stuck (older than the threshold and not through) and what
// contradicts itself. No I/O here, so the rules are unit-tested with plain objects.

/**
 * @typedef {import('./sources.mjs').TopicEvent} TopicEvent
 * @typedef {{ type: string, eventId: string, recordedAt: string, forwarded: boolean, data: any }} StoredPurchaseEvent
 * @typedef {{ itemId: string, purchaseId: string, accountId: string, sku: string, quantity: number, status: string, licenseId: string | null }} ItemRow
 * @typedef {{ licenseId: string, accountId: string, status: string, items: { itemId: string, quantity: number }[] }} LicenseRow
 *
 * @typedef {object} Snapshot
 * @property {Record<string, StoredPurchaseEvent[]>} produced  producing service => its purchase events
 * @property {TopicEvent[]} purchasesTopic   records of purchases.v1
 * @property {TopicEvent[]} accountsTopic    records of accounts.v1
 * @property {Map<string, string>} accountInbox  event ids the account service consumed
 * @property {Map<string, string>} licenseInbox  event ids the license service consumed
 * @property {{ items: ItemRow[], licenses: LicenseRow[] }} license
 * @property {{ purchaseId: string, status: string }[]} resellerOrders
 * @property {{ purchaseOrderId: string, poNumber: string, receivedAt: string, dueBy: string }[]} awaitingReview
 * @property {Record<string, number>} deadLetters
 * @property {{ topic: string, partition: number, offset: string }[]} unreadable
 *
 * @typedef {{ purchaseId: string, channel: string, externalRef: string, ageSeconds: number, stoppedAt: string }} Stuck
 * @typedef {{ kind: 'duplicate' | 'contradiction', subject: string, problem: string, purchaseId?: string }} Inconsistency
 */

/** The stages a purchase goes through, in order; the counts report how many reached each. */
export const STAGES = /** @type {const} */ ([
  'recorded',
  'published',
  'assigned',
  'itemised',
  'licensed',
  'refunded',
]);

/**
 * @param {Snapshot} snapshot
 * @param {{ now: Date, stuckAfterSeconds: number }} options
 */
export function reconcile(snapshot, { now, stuckAfterSeconds }) {
  /** @type {Stuck[]} */
  const stuck = [];
  /** @type {Inconsistency[]} */
  const inconsistent = [];
  /** @type {Record<(typeof STAGES)[number], number>} */
  const counts = { recorded: 0, published: 0, assigned: 0, itemised: 0, licensed: 0, refunded: 0 };
  let inFlight = 0;
  const ageOf = (/** @type {string} */ since) => Math.max(0, (now.getTime() - Date.parse(since)) / 1000);

  // What each channel's event store recorded: the purchases that must make it all the way.
  /** @type {Map<string, { service: string, event: StoredPurchaseEvent }>} */
  const recorded = new Map();
  /** @type {Map<string, { service: string, event: StoredPurchaseEvent }[]>} */
  const refundsStored = new Map();
  /** @type {Map<string, string[]>} channel/externalRef => purchase ids */
  const byOrder = new Map();
  for (const [service, events] of Object.entries(snapshot.produced)) {
    for (const event of events) {
      const purchaseId = event.data.purchaseId;
      if (event.type === 'purchase.recorded.v1') {
        if (recorded.has(purchaseId)) {
          inconsistent.push({
            kind: 'duplicate',
            purchaseId,
            subject: `purchase ${purchaseId}`,
            problem: 'recorded twice in the event stores',
          });
          continue;
        }
        recorded.set(purchaseId, { service, event });
        const order = `${event.data.channel}/${event.data.externalRef}`;
        byOrder.set(order, [...(byOrder.get(order) ?? []), purchaseId]);
      } else {
        refundsStored.set(purchaseId, [...(refundsStored.get(purchaseId) ?? []), { service, event }]);
      }
    }
  }
  for (const [order, ids] of byOrder) {
    if (ids.length > 1)
      for (const purchaseId of ids)
        inconsistent.push({
          kind: 'duplicate',
          purchaseId,
          subject: `order ${order}`,
          problem: `recorded as ${ids.length} purchases: ${ids.join(', ')}`,
        });
  }

  // What reached the topics, by event id (a record delivered twice is the same event: at-least-once).
  const published = new Set(snapshot.purchasesTopic.map((event) => event.id));
  /** @type {Map<string, TopicEvent[]>} */
  const refundsPublished = new Map();
  for (const event of snapshot.purchasesTopic) {
    if (event.type === 'purchase.refunded.v1')
      refundsPublished.set(event.data.purchaseId, [
        ...(refundsPublished.get(event.data.purchaseId) ?? []),
        event,
      ]);
    if (event.type === 'purchase.recorded.v1' && !recorded.has(event.data.purchaseId))
      inconsistent.push({
        kind: 'contradiction',
        subject: `purchase ${event.data.purchaseId}`,
        problem: 'on purchases.v1 but in no channel’s event store',
      });
  }
  /** @type {Map<string, Map<string, TopicEvent>>} purchase id => assignment event id => event */
  const assignments = new Map();
  for (const event of snapshot.accountsTopic) {
    if (event.type !== 'purchase.assigned.v1') continue;
    const byId = assignments.get(event.data.purchaseId) ?? new Map();
    byId.set(event.id, event);
    assignments.set(event.data.purchaseId, byId);
  }
  for (const purchaseId of assignments.keys()) {
    if (!recorded.has(purchaseId))
      inconsistent.push({
        kind: 'contradiction',
        subject: `purchase ${purchaseId}`,
        problem: 'assigned, but never recorded',
      });
  }

  /** @type {Map<string, ItemRow[]>} */
  const itemsByPurchase = new Map();
  const itemsById = new Map(snapshot.license.items.map((item) => [item.itemId, item]));
  for (const item of snapshot.license.items) {
    itemsByPurchase.set(item.purchaseId, [...(itemsByPurchase.get(item.purchaseId) ?? []), item]);
    if (!assignments.has(item.purchaseId))
      inconsistent.push({
        kind: 'contradiction',
        subject: `item ${item.itemId}`,
        problem: `of purchase ${item.purchaseId}, which was never assigned`,
      });
  }
  const resellerStatus = new Map(snapshot.resellerOrders.map((order) => [order.purchaseId, order.status]));

  for (const [purchaseId, { service, event }] of recorded) {
    counts.recorded += 1;
    const { channel, externalRef } = event.data;
    const subject = `purchase ${purchaseId} (${channel} ${externalRef})`;
    /** @type {string | undefined} where it stopped, if it did */
    let stoppedAt;
    let since = event.recordedAt;
    const refundEvents = [...(refundsStored.get(purchaseId) ?? [])];
    const assignedEvents = [...(assignments.get(purchaseId)?.values() ?? [])];
    const items = itemsByPurchase.get(purchaseId) ?? [];
    const lines = /** @type {{ itemId: string, sku: string, quantity: number }[]} */ (event.data.items);

    if (!published.has(event.eventId)) {
      if (event.forwarded)
        inconsistent.push({
          kind: 'contradiction',
          subject,
          problem: `${service}'s forwarder passed it, but it is not on purchases.v1`,
        });
      stoppedAt = `${service}: in its event store, not yet on purchases.v1`;
    } else {
      counts.published += 1;
      if (assignedEvents.length === 0) {
        stoppedAt = snapshot.accountInbox.has(event.eventId)
          ? 'account: consumed, but no purchase.assigned.v1 on accounts.v1'
          : 'account: not consumed from purchases.v1 yet';
      } else {
        counts.assigned += 1;
        if (assignedEvents.length > 1)
          inconsistent.push({
            kind: 'duplicate',
            purchaseId,
            subject,
            problem: `assigned ${assignedEvents.length} times (distinct event ids)`,
          });
        const assigned = /** @type {TopicEvent} */ (assignedEvents[0]);
        since = assigned.data.assignedAt ?? since;
        if (channel === 'reseller' && resellerStatus.get(purchaseId) === 'recorded')
          stoppedAt = 'reseller-intake: the assignment has not reached the reseller order';
        for (const item of items) {
          if (item.accountId !== assigned.data.accountId)
            inconsistent.push({
              kind: 'contradiction',
              subject: `item ${item.itemId}`,
              problem: `in account ${item.accountId}, assigned to ${assigned.data.accountId}`,
            });
        }
        if (items.length < lines.length) {
          stoppedAt = snapshot.licenseInbox.has(assigned.id)
            ? `license: consumed the assignment, ${items.length} of ${lines.length} items`
            : `license: assignment not consumed yet (${items.length} of ${lines.length} items)`;
        } else {
          counts.itemised += 1;
        }
      }
    }
    if (items.length > lines.length)
      inconsistent.push({
        kind: 'duplicate',
        purchaseId,
        subject,
        problem: `${items.length} licence items for ${lines.length} purchased lines`,
      });
    const bought = new Map(lines.map((line) => [line.itemId, line.quantity]));
    for (const item of items) {
      const quantity = bought.get(item.itemId);
      if (quantity === undefined)
        inconsistent.push({
          kind: 'contradiction',
          subject: `item ${item.itemId}`,
          problem: `not a line of ${subject}`,
        });
      else if (item.quantity !== quantity)
        inconsistent.push({
          kind: 'contradiction',
          subject: `item ${item.itemId}`,
          problem: `${item.quantity} seats, ${quantity} bought`,
        });
    }
    if (items.some((item) => item.licenseId !== null)) counts.licensed += 1;

    if (refundEvents.length > 0) {
      counts.refunded += 1;
      const refund = /** @type {{ service: string, event: StoredPurchaseEvent }} */ (refundEvents[0]);
      const unrefunded = items.filter((item) => item.status !== 'refunded');
      if (!published.has(refund.event.eventId)) {
        stoppedAt = `${refund.service}: refund in its event store, not yet on purchases.v1`;
        since = refund.event.recordedAt;
      } else if (unrefunded.length > 0 && assignedEvents.length > 0) {
        if (snapshot.licenseInbox.has(refund.event.eventId) && items.length === lines.length)
          inconsistent.push({
            kind: 'contradiction',
            subject,
            problem: `refunded, but ${unrefunded.length} of its items are not`,
          });
        else {
          stoppedAt = 'license: refund not applied yet';
          since = refund.event.recordedAt;
        }
      }
    } else if (refundsPublished.has(purchaseId) === false) {
      for (const item of items) {
        if (item.status === 'refunded')
          inconsistent.push({
            kind: 'contradiction',
            subject: `item ${item.itemId}`,
            problem: `refunded, but ${subject} never was`,
          });
      }
    }

    if (stoppedAt !== undefined) {
      const ageSeconds = ageOf(since);
      if (ageSeconds >= stuckAfterSeconds)
        stuck.push({ purchaseId, channel, externalRef, ageSeconds, stoppedAt });
      else inFlight += 1;
    }
  }
  for (const purchaseId of refundsPublished.keys()) {
    if (!recorded.has(purchaseId))
      inconsistent.push({
        kind: 'contradiction',
        subject: `purchase ${purchaseId}`,
        problem: 'refunded, but never recorded',
      });
  }

  // Licences: each item in at most one live licence, never more seats than the item holds.
  /** @type {Map<string, string>} item id => live licence holding it */
  const holder = new Map();
  for (const license of snapshot.license.licenses) {
    if (license.status === 'revoked') continue;
    for (const entry of license.items) {
      const item = itemsById.get(entry.itemId);
      const subject = `licence ${license.licenseId}`;
      const other = holder.get(entry.itemId);
      if (other !== undefined)
        inconsistent.push({
          kind: 'duplicate',
          subject,
          problem: `item ${entry.itemId} is also in licence ${other}`,
        });
      holder.set(entry.itemId, license.licenseId);
      if (!item) {
        inconsistent.push({
          kind: 'contradiction',
          subject,
          problem: `item ${entry.itemId} is not a licence item`,
        });
        continue;
      }
      if (entry.quantity > item.quantity)
        inconsistent.push({
          kind: 'contradiction',
          subject,
          problem: `${entry.quantity} seats of item ${entry.itemId}, which holds ${item.quantity}`,
        });
      if (item.status === 'refunded')
        inconsistent.push({
          kind: 'contradiction',
          subject,
          problem: `still ${license.status}, but item ${entry.itemId} was refunded`,
        });
      else if (item.licenseId !== license.licenseId)
        inconsistent.push({
          kind: 'contradiction',
          subject,
          problem: `item ${entry.itemId} says it is in ${item.licenseId ?? 'no licence'}`,
        });
    }
  }
  for (const item of snapshot.license.items) {
    if (item.status === 'licensed' && holder.get(item.itemId) !== item.licenseId)
      inconsistent.push({
        kind: 'contradiction',
        subject: `item ${item.itemId}`,
        problem: `says it is in licence ${item.licenseId}, which does not list it`,
      });
  }

  const overdue = snapshot.awaitingReview.filter((order) => Date.parse(order.dueBy) < now.getTime());
  for (const record of snapshot.unreadable)
    inconsistent.push({
      kind: 'contradiction',
      subject: `${record.topic}[${record.partition}]@${record.offset}`,
      problem: 'not a JSON CloudEvent',
    });

  stuck.sort((a, b) => b.ageSeconds - a.ageSeconds);
  return {
    counts,
    inFlight,
    awaitingReview: { total: snapshot.awaitingReview.length, overdue },
    stuck,
    inconsistent,
    deadLetters: snapshot.deadLetters,
  };
}

/** @typedef {ReturnType<typeof reconcile>} Reconciliation */
