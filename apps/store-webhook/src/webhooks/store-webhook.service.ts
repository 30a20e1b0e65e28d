import { Inject, Injectable } from '@nestjs/common';
import { validateEventData } from '@otl/contracts';
import {
  ConcurrencyError,
  EventStore,
  retryOnConcurrencyError,
  type EventTransaction,
  type Statement,
} from '@otl/event-store';
import { purchaseIdForStoreOrder, purchaseStream } from '../purchases/ids';
import { decide, rebuild, type PurchaseCommand, type PurchaseEvent } from '../purchases/purchase';
import type { StoreWebhookPayload } from './parse';

export const EVENT_STORE = Symbol('EVENT_STORE');
export const CLOCK = Symbol('CLOCK');
export type Clock = () => Date;

export type DeliveryOutcome =
  | 'recorded'
  | 'order-already-recorded'
  | 'refund-recorded'
  | 'refund-held'
  | 'refund-already-recorded'
  | 'ignored'
  | 'redelivery';

export type DeliveryAnswer = { purchaseId: string } | { status: 'ignored'; type: string };

export interface VerifiedDelivery {
  webhookId: string;
  webhookTimestamp: number;
  headers: Record<string, string>;
  body: string;
  payload: StoreWebhookPayload;
  correlationId: string;
}

/** Records a verified store delivery: purchase events and the raw delivery commit together. */
@Injectable()
export class StoreWebhookService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * One transaction in two round trips: (1) BEGIN, the stream lock, the stream and any
   * earlier delivery under this webhook-id; (2) the new events, the delivery and COMMIT.
   * A repeated webhook-id is answered as it was the first time.
   */
  receive(delivery: VerifiedDelivery): Promise<{ answer: DeliveryAnswer; outcome: DeliveryOutcome }> {
    const { payload } = delivery;
    const orderId =
      payload.kind === 'order'
        ? payload.order.orderId
        : payload.kind === 'refund'
          ? payload.refund.orderId
          : null;
    const purchaseId = orderId === null ? null : purchaseIdForStoreOrder(orderId);
    const lockStreams = purchaseId ? [purchaseStream(purchaseId)] : [];
    const earlierDelivery = {
      text: 'SELECT response FROM store_webhook_deliveries WHERE webhook_id = $1',
      params: [delivery.webhookId],
    };
    return retryOnConcurrencyError(() =>
      this.store.transaction({ lockStreams, prefetch: true, alsoRead: [earlierDelivery] }, async (tx) => {
        const earlier = tx.alsoRead[0]?.[0] as { response: DeliveryAnswer } | undefined;
        if (earlier) {
          await tx.commitWith([
            {
              text: `UPDATE store_webhook_deliveries SET redeliveries = redeliveries + 1, last_redelivered_at = now()
                     WHERE webhook_id = $1`,
              params: [delivery.webhookId],
            },
          ]);
          return { answer: earlier.response, outcome: 'redelivery' as const };
        }
        let outcome: DeliveryOutcome = 'ignored';
        let answer: DeliveryAnswer = { status: 'ignored', type: payload.type };
        let append: Statement | null = null;
        if (purchaseId !== null && payload.kind !== 'ignored') {
          const command: PurchaseCommand =
            payload.kind === 'order'
              ? { type: 'RecordStoreOrder', purchaseId, order: payload.order, now: this.clock() }
              : { type: 'RecordStoreRefund', purchaseId, refund: payload.refund, now: this.clock() };
          ({ outcome, append } = await this.decide(tx, purchaseId, command, delivery));
          answer = { purchaseId };
        }
        try {
          await tx.commitWith([append, this.deliveryInsert(delivery, orderId, purchaseId, outcome, answer)]);
        } catch (error) {
          // The same webhook-id is being recorded concurrently: retry, then answer as it did.
          const pgError = error as { code?: string; constraint?: string };
          if (pgError.code === '23505' && pgError.constraint === 'store_webhook_deliveries_pkey') {
            throw new ConcurrencyError(`delivery ${delivery.webhookId}`, 0);
          }
          throw error;
        }
        return { answer, outcome };
      }),
    );
  }

  private async decide(
    tx: EventTransaction,
    purchaseId: string,
    command: PurchaseCommand,
    delivery: VerifiedDelivery,
  ): Promise<{ outcome: DeliveryOutcome; append: Statement | null }> {
    const stream = purchaseStream(purchaseId);
    const { version, events: past } = await tx.readStream(stream);
    const state = rebuild(past.map((event) => ({ type: event.type, data: event.data }) as PurchaseEvent));
    const events = decide(command, state);
    for (const event of events) {
      if (event.type === 'store.refund-held.v1') continue;
      const result = validateEventData(event.type, event.data);
      if (!result.ok)
        throw new Error(`refusing to record an invalid ${event.type}: ${result.errors.join('; ')}`);
    }
    const append = tx.appendStatement(
      stream,
      version,
      events.map((event) => ({
        type: event.type,
        data: event.data,
        metadata: {
          subject: purchaseId,
          correlationId: delivery.correlationId,
          webhookId: delivery.webhookId,
        },
      })),
    );
    const types = events.map((event) => event.type);
    const outcome: DeliveryOutcome =
      command.type === 'RecordStoreOrder'
        ? types.length > 0
          ? 'recorded'
          : 'order-already-recorded'
        : types.includes('purchase.refunded.v1')
          ? 'refund-recorded'
          : types.includes('store.refund-held.v1')
            ? 'refund-held'
            : 'refund-already-recorded';
    return { outcome, append };
  }

  private deliveryInsert(
    delivery: VerifiedDelivery,
    orderId: string | null,
    purchaseId: string | null,
    outcome: DeliveryOutcome,
    answer: DeliveryAnswer,
  ): Statement {
    return {
      text: `INSERT INTO store_webhook_deliveries
               (webhook_id, webhook_timestamp, headers, body, event_type, order_id, purchase_id, outcome, response, correlation_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      params: [
        delivery.webhookId,
        delivery.webhookTimestamp,
        JSON.stringify(delivery.headers),
        delivery.body,
        delivery.payload.type,
        orderId,
        purchaseId,
        outcome,
        JSON.stringify(answer),
        delivery.correlationId,
      ],
    };
  }
}
