import { randomUUID } from 'node:crypto';
import { isPublicEventType } from '@otl/contracts';
import {
  ConcurrencyError,
  EventStore,
  retryOnConcurrencyError,
  type EventTransaction,
  type NewEvent,
  type Statement,
} from '@otl/event-store';
import { currentCorrelationId, normalizeEmail, type Clock } from '@otl/platform';
import type { DueDates } from '../config';
import type { DecodedDocument } from './domain/document';
import {
  PurchaseOrderError,
  decide,
  evolve,
  initialState,
  rebuild,
  type PurchaseOrder,
  type PurchaseOrderCommand,
  type PurchaseOrderEvent,
  type PurchaseOrderState,
  type StaffMember,
  type Submission,
} from './domain/purchase-order';
import type { PurchaseOrderMetrics } from './metrics';

export const purchaseOrderStream = (purchaseOrderId: string) => `PurchaseOrder-${purchaseOrderId}`;

/** The same poNumber is already a live order of this customer (409, naming it). */
export class PoNumberTakenError extends Error {
  constructor(readonly existingPurchaseOrderId: string) {
    super(
      `This customer's purchase order with this poNumber is already on record (${existingPurchaseOrderId}); ` +
        'only a rejected order may be submitted again.',
    );
  }
}

export interface NewPurchaseOrder {
  poNumber: string;
  customer: Submission['customer'];
  items: Submission['items'];
  currency: string;
  total: string;
  document: {
    filename: string;
    contentType: Submission['document']['contentType'];
    decoded: DecodedDocument;
  };
  submittedBy: StaffMember;
}

/**
 * The desk's use cases. Each runs in one transaction under the order's stream lock: its events,
 * the read-model row and (on submission) the document and the poNumber claim commit together.
 */
export class PurchaseOrdersService {
  constructor(
    private readonly store: EventStore,
    private readonly calendar: DueDates,
    private readonly now: Clock,
    private readonly metrics: PurchaseOrderMetrics,
  ) {}

  async submit(order: NewPurchaseOrder): Promise<PurchaseOrder> {
    const purchaseOrderId = randomUUID();
    const customerKey = normalizeEmail(order.customer.email);
    const stream = purchaseOrderStream(purchaseOrderId);
    const { decoded, ...document } = order.document;
    try {
      const submitted = await retryOnConcurrencyError(() =>
        this.store.transaction({ lockStreams: [stream] }, async (tx) => {
          // Concurrent submissions of one poNumber queue on this key; the first to commit holds it.
          const claim = await tx.query<{ purchase_order_id: string }>(
            `INSERT INTO po_number_claims (customer_key, po_number, purchase_order_id) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING RETURNING purchase_order_id`,
            [customerKey, order.poNumber, purchaseOrderId],
          );
          if (claim.rowCount === 0) {
            const { rows } = await tx.query<{ purchase_order_id: string }>(
              'SELECT purchase_order_id FROM po_number_claims WHERE customer_key = $1 AND po_number = $2',
              [customerKey, order.poNumber],
            );
            const existing = rows[0]?.purchase_order_id;
            // Released in between (the holder was just rejected): try again.
            if (!existing) throw new ConcurrencyError('po_number_claims', 0);
            throw new PoNumberTakenError(existing);
          }
          const earlier = await tx.query<{ purchase_order_id: string }>(
            `SELECT purchase_order_id FROM purchase_orders
             WHERE customer_key = $1 AND po_number = $2 AND status = 'rejected'
             ORDER BY received_at DESC LIMIT 1`,
            [customerKey, order.poNumber],
          );
          await tx.query(
            `INSERT INTO po_documents (purchase_order_id, filename, content_type, size, sha256, content)
             VALUES ($1, $2, $3, $4, $5, $6)`,
            [
              purchaseOrderId,
              document.filename,
              document.contentType,
              decoded.size,
              decoded.sha256,
              decoded.content,
            ],
          );
          const now = this.now();
          const command: PurchaseOrderCommand = {
            type: 'Submit',
            now,
            dueBy: this.calendar.dueBy(now),
            submission: {
              purchaseOrderId,
              poNumber: order.poNumber,
              customer: order.customer,
              items: order.items,
              currency: order.currency,
              total: order.total,
              document: { ...document, size: decoded.size, sha256: decoded.sha256 },
              submittedBy: order.submittedBy,
              resubmissionOf: earlier.rows[0]?.purchase_order_id ?? null,
            },
          };
          return this.commit(tx, stream, 0, initialState, decide(command, initialState));
        }),
      );
      this.metrics.submissions.inc({ outcome: submitted.resubmissionOf ? 'resubmitted' : 'received' });
      return submitted;
    } catch (error) {
      if (error instanceof PoNumberTakenError) this.metrics.submissions.inc({ outcome: 'po-number-taken' });
      throw error;
    }
  }

  approve(purchaseOrderId: string, by: StaffMember): Promise<PurchaseOrder> {
    return this.decideOn(purchaseOrderId, (now) => ({ type: 'Approve', by, now }));
  }

  reject(purchaseOrderId: string, by: StaffMember, reason: string): Promise<PurchaseOrder> {
    return this.decideOn(purchaseOrderId, (now) => ({ type: 'Reject', by, reason, now }));
  }

  refund(purchaseOrderId: string, by: StaffMember, reason: string): Promise<PurchaseOrder> {
    return this.decideOn(purchaseOrderId, (now) => ({ type: 'Refund', by, reason, now }));
  }

  private decideOn(
    purchaseOrderId: string,
    command: (now: Date) => PurchaseOrderCommand,
  ): Promise<PurchaseOrder> {
    const stream = purchaseOrderStream(purchaseOrderId);
    return retryOnConcurrencyError(() =>
      this.store.transaction({ lockStreams: [stream], prefetch: true }, async (tx) => {
        const { version, events } = await tx.readStream(stream);
        const state = rebuild(events as unknown as PurchaseOrderEvent[]);
        const decided = decide(command(this.now()), state);
        const after = await this.commit(tx, stream, version, state, decided);
        // A decision changes the status; a repeat decides nothing and is not counted.
        if (after.status !== state.status) this.metrics.decisions.inc({ decision: after.status });
        return after;
      }),
    );
  }

  /** Appends the decided events and writes the read model (and, on rejection, frees the poNumber). */
  private async commit(
    tx: EventTransaction,
    stream: string,
    version: number,
    before: PurchaseOrderState,
    decided: readonly PurchaseOrderEvent[],
  ): Promise<PurchaseOrder> {
    const after = decided.reduce(evolve, before);
    if (after.status === 'none') throw new PurchaseOrderError('not-found', 'No such purchase order.');
    if (decided.length === 0) {
      await tx.commitWith([]);
      return after;
    }
    const correlationId = currentCorrelationId();
    const events: NewEvent[] = decided.map((event) => ({
      type: event.type,
      data: event.data,
      metadata: {
        // A public event's subject is the purchase; internal ones stay in the store.
        subject: isPublicEventType(event.type) ? after.purchaseOrderId : undefined,
        correlationId,
      },
    }));
    const released: Statement | null = decided.some((event) => event.type === 'purchase-order.rejected.v1')
      ? { text: 'DELETE FROM po_number_claims WHERE purchase_order_id = $1', params: [after.purchaseOrderId] }
      : null;
    await tx.commitWith([tx.appendStatement(stream, version, events), readModelUpsert(after), released]);
    return after;
  }
}

function readModelUpsert(order: PurchaseOrder): Statement {
  return {
    text: `INSERT INTO purchase_orders (purchase_order_id, po_number, customer_key, status, received_at, due_by, view)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
           ON CONFLICT (purchase_order_id) DO UPDATE SET status = EXCLUDED.status, view = EXCLUDED.view`,
    params: [
      order.purchaseOrderId,
      order.poNumber,
      normalizeEmail(order.customer.email),
      order.status,
      order.receivedAt,
      order.dueBy,
      JSON.stringify(order),
    ],
  };
}
