import { randomUUID } from 'node:crypto';
import { isPublicEventType, type PurchaseAssignedV1 } from '@otl/contracts';
import {
  EventStore,
  retryOnConcurrencyError,
  type EventTransaction,
  type NewEvent,
  type Statement,
} from '@otl/event-store';
import { currentCorrelationId, type Clock } from '@otl/platform';
import type { Failpoint } from '../config';
import type { AuthenticatedReseller } from '../keys/key-store';
import type { IdempotencyKeys, StoredAnswer } from '../requests/idempotency';
import {
  OrderRefTakenError,
  ResellerOrderError,
  decide,
  evolve,
  purchaseIdFor,
  rebuild,
  type OrderLine,
  type ResellerOrder,
  type ResellerOrderCommand,
  type ResellerOrderEvent,
  type ResellerOrderState,
} from './domain/reseller-order';
import type { OrderMetrics } from './metrics';
import { orderView, type OrderView } from './order-queries';

export const orderStream = (purchaseId: string) => `ResellerOrder-${purchaseId}`;

export interface NewOrder {
  resellerOrderRef: string;
  customer: { email: string; name: string; company: string | null };
  items: OrderLine[];
  currency: string;
  total: string;
}

/** What POST /v1/reseller/orders answers: a new answer, or the stored one replayed. */
export type PlaceOutcome =
  | { kind: 'answer'; answer: StoredAnswer; replayed: boolean }
  | { kind: 'in-flight' }
  | { kind: 'other-body' };

export const orderLocation = (orderId: string) => `/v1/reseller/orders/${orderId}`;

/**
 * The reseller's use cases. Each order is one stream, named by its purchase id, which follows from
 * the reseller and its resellerOrderRef: two requests for one ref lock the same stream, and the
 * second finds the order already placed.
 */
export class OrdersService {
  constructor(
    private readonly store: EventStore,
    private readonly keys: IdempotencyKeys,
    private readonly now: Clock,
    private readonly metrics: OrderMetrics,
    private readonly failpoint: Failpoint,
    /** Builds the stored answer of a refused placement (409, the ref is taken) as the API words it. */
    private readonly refTakenAnswer: (error: OrderRefTakenError) => StoredAnswer,
  ) {}

  async place(
    reseller: AuthenticatedReseller,
    idempotencyKey: string,
    fingerprint: string,
    order: NewOrder,
  ): Promise<PlaceOutcome> {
    const claim = await this.keys.claim(reseller.resellerId, idempotencyKey, fingerprint, this.now());
    if (claim.kind === 'replay') {
      this.metrics.placements.inc({ outcome: 'replayed' });
      return { kind: 'answer', answer: claim.answer, replayed: true };
    }
    if (claim.kind !== 'claimed') {
      this.metrics.placements.inc({ outcome: claim.kind });
      return claim;
    }
    const { owner } = claim;
    const purchaseId = purchaseIdFor(reseller.resellerId, order.resellerOrderRef);
    const stream = orderStream(purchaseId);
    try {
      const answer = await retryOnConcurrencyError(() =>
        this.store.transaction({ lockStreams: [stream], prefetch: true }, async (tx) => {
          const { version, events } = await tx.readStream(stream);
          const state = rebuild(events as unknown as ResellerOrderEvent[]);
          const command: ResellerOrderCommand = {
            type: 'Place',
            now: this.now(),
            placement: {
              orderId: randomUUID(),
              resellerId: reseller.resellerId,
              resellerOrderRef: order.resellerOrderRef,
              customer: order.customer,
              items: order.items,
              currency: order.currency,
              total: order.total,
              idempotencyKey,
            },
          };
          const decided = decide(command, state);
          const placed = decided.reduce(evolve, state) as ResellerOrder;
          const stored: StoredAnswer = {
            status: 201,
            body: { orderId: placed.orderId, purchaseId: placed.purchaseId, status: 'recorded' },
            location: orderLocation(placed.orderId),
          };
          await tx.commitWith([
            this.append(tx, stream, version, placed, decided),
            readModelInsert(placed),
            this.keys.completeStatement(reseller.resellerId, idempotencyKey, owner, stored),
          ]);
          return stored;
        }),
      );
      if (this.failpoint === 'kill-after-order-commit') process.kill(process.pid, 'SIGKILL');
      this.metrics.placements.inc({ outcome: 'recorded' });
      return { kind: 'answer', answer, replayed: false };
    } catch (error) {
      if (error instanceof OrderRefTakenError) {
        const answer = this.refTakenAnswer(error);
        await this.keys.complete(reseller.resellerId, idempotencyKey, owner, answer);
        this.metrics.placements.inc({ outcome: 'ref-taken' });
        return { kind: 'answer', answer, replayed: false };
      }
      // Nothing was committed: give the key up, so that the client's retry runs afresh.
      await this.keys.release(reseller.resellerId, idempotencyKey, owner).catch(() => undefined);
      throw error;
    }
  }

  /** Refunds one of the reseller's orders (404 for anyone else's); a second refund changes nothing. */
  async refund(resellerId: string, purchaseId: string, reason: string): Promise<OrderView> {
    const stream = orderStream(purchaseId);
    return retryOnConcurrencyError(() =>
      this.store.transaction({ lockStreams: [stream], prefetch: true }, async (tx) => {
        const { version, events } = await tx.readStream(stream);
        const state = rebuild(events as unknown as ResellerOrderEvent[]);
        if (state.status === 'none' || state.resellerId !== resellerId) {
          throw new ResellerOrderError('not-found', 'No such order.');
        }
        const decided = decide({ type: 'Refund', reason, now: this.now() }, state);
        const after = decided.reduce(evolve, state) as ResellerOrder;
        if (decided.length === 0) {
          await tx.commitWith([]);
          return orderView(after);
        }
        await tx.commitWith([this.append(tx, stream, version, after, decided), readModelUpdate(after)]);
        this.metrics.refunds.inc();
        return orderView(after);
      }),
    );
  }

  /** account's `purchase.assigned.v1` for one of our purchases: the order is now `assigned`. */
  async onAssigned(tx: EventTransaction, assigned: PurchaseAssignedV1): Promise<(Statement | null)[]> {
    if (assigned.channel !== 'reseller') return [];
    const stream = orderStream(assigned.purchaseId);
    const { version, events } = await tx.readStream(stream);
    const state: ResellerOrderState = rebuild(events as unknown as ResellerOrderEvent[]);
    // A reseller purchase this service never recorded (another deployment's): not ours to track.
    if (state.status === 'none') return [];
    const decided = decide(
      { type: 'Assign', accountId: assigned.accountId, assignedAt: assigned.assignedAt },
      state,
    );
    if (decided.length === 0) return [];
    const after = decided.reduce(evolve, state) as ResellerOrder;
    return [this.append(tx, stream, version, after, decided), readModelUpdate(after)];
  }

  static assignmentLocks(assigned: PurchaseAssignedV1): string[] {
    return assigned.channel === 'reseller' ? [orderStream(assigned.purchaseId)] : [];
  }

  private append(
    tx: EventTransaction,
    stream: string,
    version: number,
    order: ResellerOrder,
    decided: readonly ResellerOrderEvent[],
  ): Statement | null {
    const correlationId = currentCorrelationId();
    const events: NewEvent[] = decided.map((event) => ({
      type: event.type,
      data: event.data,
      // A public event's subject is the purchase; internal ones stay in the store.
      metadata: { subject: isPublicEventType(event.type) ? order.purchaseId : undefined, correlationId },
    }));
    return tx.appendStatement(stream, version, events);
  }
}

function readModelInsert(order: ResellerOrder): Statement {
  return {
    text: `INSERT INTO reseller_orders (order_id, purchase_id, reseller_id, reseller_order_ref, status, recorded_at, view)
           VALUES ($1, $2, $3, $4, $5, $6, $7::json)`,
    params: [
      order.orderId,
      order.purchaseId,
      order.resellerId,
      order.resellerOrderRef,
      order.status,
      order.recordedAt,
      JSON.stringify(orderView(order)),
    ],
  };
}

function readModelUpdate(order: ResellerOrder): Statement {
  return {
    text: 'UPDATE reseller_orders SET status = $2, view = $3::json WHERE purchase_id = $1',
    params: [order.purchaseId, order.status, JSON.stringify(orderView(order))],
  };
}
