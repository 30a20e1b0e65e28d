import { Inject, Injectable } from '@nestjs/common';
import {
  ConcurrencyError,
  EventStore,
  retryOnConcurrencyError,
  type Statement,
  type StoredEvent,
} from '@otl/event-store';
import { CLOCK, outsideRequestContext, type Clock, type TraceCarrier } from '@otl/platform';
import { purchaseIdForStoreOrder, purchaseStream } from '../purchases/domain/ids';
import {
  decide,
  evolve,
  rebuild,
  type PurchaseCommand,
  type PurchaseEvent,
  type PurchaseState,
} from '../purchases/domain/purchase';
import type { StoreWebhookPayload } from './parse';

export type DeliveryOutcome =
  | 'recorded'
  | 'order-already-recorded'
  | 'refund-recorded'
  | 'refund-held'
  | 'refund-already-recorded'
  | 'ignored'
  | 'redelivery';

export type DeliveryAnswer = { purchaseId: string } | { status: 'ignored'; type: string };
export interface DeliveryResult {
  answer: DeliveryAnswer;
  outcome: DeliveryOutcome;
}

export interface VerifiedDelivery {
  webhookId: string;
  webhookTimestamp: number;
  headers: Record<string, string>;
  body: string;
  payload: StoreWebhookPayload;
  correlationId: string;
  /** The request's trace (empty with tracing off): deliveries are appended in batches, outside it. */
  trace?: TraceCarrier;
}

/** A purchase stream as read at BEGIN, with what this batch decides on top of it. */
interface StreamWork {
  version: number;
  state: PurchaseState;
  events: { event: PurchaseEvent; delivery: VerifiedDelivery }[];
}

function orderIdOf(payload: StoreWebhookPayload): string | null {
  if (payload.kind === 'order') return payload.order.orderId;
  if (payload.kind === 'refund') return payload.refund.orderId;
  return null;
}

function outcomeOf(command: PurchaseCommand, events: readonly PurchaseEvent[]): DeliveryOutcome {
  const types = events.map((event) => event.type);
  if (command.type === 'RecordStoreOrder') return types.length > 0 ? 'recorded' : 'order-already-recorded';
  if (types.includes('purchase.refunded.v1')) return 'refund-recorded';
  return types.includes('store.refund-held.v1') ? 'refund-held' : 'refund-already-recorded';
}

/**
 * Records verified store deliveries: purchase events and the raw deliveries commit
 * together. Deliveries that arrive while earlier ones are being written are recorded
 * together in one transaction (application-level group commit): two round trips and
 * one WAL flush for the whole batch, which is where the time per delivery goes.
 */
@Injectable()
export class StoreWebhookService {
  private readonly queue: { delivery: VerifiedDelivery; done(result: Promise<DeliveryResult>): void }[] = [];
  private inFlight = 0;
  private static readonly MAX_IN_FLIGHT = 4;
  private static readonly MAX_BATCH = 128;

  constructor(
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  receive(delivery: VerifiedDelivery): Promise<DeliveryResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ delivery, done: (result) => result.then(resolve, reject) });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < StoreWebhookService.MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.queue.splice(0, StoreWebhookService.MAX_BATCH);
      this.inFlight++;
      // A batch serves several requests: it runs in none of their contexts (each delivery names its own).
      void outsideRequestContext(() => this.run(batch)).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(batch: StoreWebhookService['queue']): Promise<void> {
    const deliveries = batch.map((item) => item.delivery);
    const recorded = retryOnConcurrencyError(() => this.recordBatch(deliveries));
    if (batch.length === 1) return batch[0]?.done(recorded.then((results) => results[0] as DeliveryResult));
    try {
      const results = await recorded;
      batch.forEach((item, index) => item.done(Promise.resolve(results[index] as DeliveryResult)));
    } catch {
      // One delivery must not fail the others: record each on its own.
      await Promise.all(
        batch.map((item) => {
          const alone = retryOnConcurrencyError(() => this.recordBatch([item.delivery])).then(
            (results) => results[0] as DeliveryResult,
          );
          item.done(alone);
          return alone.catch(() => undefined);
        }),
      );
    }
  }

  /**
   * One transaction in two round trips: (1) BEGIN, the locks and reads of every purchase
   * stream involved and the earlier deliveries under these webhook-ids; (2) the new events,
   * the delivery rows and COMMIT. A repeated webhook-id is answered as the first time.
   */
  private async recordBatch(deliveries: readonly VerifiedDelivery[]): Promise<DeliveryResult[]> {
    const orderIds = deliveries.map((delivery) => orderIdOf(delivery.payload));
    const purchaseIds = orderIds.map((orderId) =>
      orderId === null ? null : purchaseIdForStoreOrder(orderId),
    );
    const streams = [...new Set(purchaseIds.flatMap((id) => (id ? [purchaseStream(id)] : [])))];
    const earlierRead: Statement = {
      text: 'SELECT webhook_id, response FROM store_webhook_deliveries WHERE webhook_id = ANY($1::text[])',
      params: [toTextArray(deliveries.map((delivery) => delivery.webhookId))],
    };
    return this.store.transaction(
      { lockStreams: streams, prefetch: true, alsoRead: [earlierRead] },
      async (tx) => {
        const answered = new Map<string, DeliveryAnswer>(
          (tx.alsoRead[0] ?? []).map((row) => [
            row['webhook_id'] as string,
            row['response'] as DeliveryAnswer,
          ]),
        );
        const redeliveries = new Map<string, number>();
        const work = new Map<string, StreamWork>();
        const inserts: unknown[][] = [];
        const results: DeliveryResult[] = [];
        const now = this.clock();

        for (const [index, delivery] of deliveries.entries()) {
          const earlier = answered.get(delivery.webhookId);
          if (earlier) {
            redeliveries.set(delivery.webhookId, (redeliveries.get(delivery.webhookId) ?? 0) + 1);
            results.push({ answer: earlier, outcome: 'redelivery' });
            continue;
          }
          const { payload } = delivery;
          const purchaseId = purchaseIds[index] ?? null;
          let result: DeliveryResult = {
            answer: { status: 'ignored', type: payload.type },
            outcome: 'ignored',
          };
          if (purchaseId !== null && payload.kind !== 'ignored') {
            const command: PurchaseCommand =
              payload.kind === 'order'
                ? { type: 'RecordStoreOrder', purchaseId, order: payload.order, now }
                : { type: 'RecordStoreRefund', purchaseId, refund: payload.refund, now };
            const stream = await this.streamWork(work, purchaseStream(purchaseId), (id) => tx.readStream(id));
            const events = decide(command, stream.state);
            for (const event of events) {
              stream.state = evolve(stream.state, event);
              stream.events.push({ event, delivery });
            }
            result = { answer: { purchaseId }, outcome: outcomeOf(command, events) };
          }
          answered.set(delivery.webhookId, result.answer);
          results.push(result);
          inserts.push([
            delivery.webhookId,
            delivery.webhookTimestamp,
            JSON.stringify(delivery.headers),
            delivery.body,
            payload.type,
            orderIds[index] ?? null,
            purchaseId,
            result.outcome,
            JSON.stringify(result.answer),
            delivery.correlationId,
          ]);
        }

        const appends = [...work].map(([stream, { version, events }]) =>
          tx.appendStatement(
            stream,
            version,
            events.map(({ event, delivery }) => ({
              type: event.type,
              data: event.data,
              metadata: {
                subject: event.data.purchaseId,
                correlationId: delivery.correlationId,
                webhookId: delivery.webhookId,
                ...delivery.trace,
              },
            })),
          ),
        );
        try {
          await tx.commitWith([...appends, deliveryInsert(inserts), redeliveryUpdate(redeliveries)]);
        } catch (error) {
          // The same webhook-id is being recorded concurrently: retry, then answer as it did.
          const pgError = error as { code?: string; constraint?: string };
          if (pgError.code === '23505' && pgError.constraint === 'store_webhook_deliveries_pkey') {
            throw new ConcurrencyError('store_webhook_deliveries', 0);
          }
          throw error;
        }
        return results;
      },
    );
  }

  private async streamWork(
    work: Map<string, StreamWork>,
    stream: string,
    read: (stream: string) => Promise<{ version: number; events: StoredEvent[] }>,
  ): Promise<StreamWork> {
    const known = work.get(stream);
    if (known) return known;
    const { version, events } = await read(stream);
    const created: StreamWork = {
      version,
      state: rebuild(events.map((event) => ({ type: event.type, data: event.data }) as PurchaseEvent)),
      events: [],
    };
    work.set(stream, created);
    return created;
  }
}

/** A Postgres text[] literal (inlined by commitWith like any other parameter). */
function toTextArray(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function deliveryInsert(rows: readonly unknown[][]): Statement | null {
  if (rows.length === 0) return null;
  const width = 10;
  const values = rows.map(
    (_, row) =>
      `(${Array.from({ length: width }, (__, column) => `$${row * width + column + 1}`).join(', ')})`,
  );
  return {
    text: `INSERT INTO store_webhook_deliveries
             (webhook_id, webhook_timestamp, headers, body, event_type, order_id, purchase_id, outcome, response, correlation_id)
           VALUES ${values.join(', ')}`,
    params: rows.flat(),
  };
}

function redeliveryUpdate(counts: ReadonlyMap<string, number>): Statement | null {
  if (counts.size === 0) return null;
  return {
    text: `UPDATE store_webhook_deliveries d SET redeliveries = d.redeliveries + c.n, last_redelivered_at = now()
           FROM unnest($1::text[], $2::int[]) AS c(id, n) WHERE d.webhook_id = c.id`,
    params: [toTextArray([...counts.keys()]), `{${[...counts.values()].join(',')}}`],
  };
}
