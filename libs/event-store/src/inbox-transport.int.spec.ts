import { randomUUID } from 'node:crypto';
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { dlqTopicOf, toCloudEvent, topics, type PurchaseRecordedV1 } from '@otl/contracts';
import { ProblemDetailsFilter, createLogger, currentCorrelationId } from '@otl/platform';
import { TopicRecorder, eventually, testKafka, uniqueName } from '@otl/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { EventStore } from './event-store';
import { InboxContext, InboxTransport, connectInbox, type InboxHandlerExtras } from './inbox-transport';
import { silentLogger } from './logger';
import { KAFKA_CORRELATION_HEADER } from './public-events';
import { migratedTestDatabase, type MigratedTestDatabase } from './test-support/database';

/** How often the handler fails before it succeeds, by purchase id, and with what. */
const failures = new Map<string, { remaining: number; error: () => Error }>();
const handled: { purchaseId: string; correlationId: string | undefined; offset: string }[] = [];
const noteStream = (purchaseId: string) => `spec-purchase-${purchaseId}`;
/** Waits until `check` stops throwing. */
const until = (check: () => unknown, options?: { timeoutMs?: number }) =>
  eventually(async () => {
    await check();
    return true;
  }, options);

@Controller()
class PurchaseNotes {
  @EventPattern('purchase.recorded.v1', {
    locks: (purchase) => [noteStream(purchase.purchaseId)],
  } satisfies InboxHandlerExtras<PurchaseRecordedV1>)
  noted(@Payload() purchase: PurchaseRecordedV1, @Ctx() context: InboxContext) {
    const failure = failures.get(purchase.purchaseId);
    if (failure && failure.remaining-- > 0) throw failure.error();
    const correlationId = currentCorrelationId();
    handled.push({ purchaseId: purchase.purchaseId, correlationId, offset: context.message.offset });
    return [
      context.transaction.appendStatement(noteStream(purchase.purchaseId), 0, [
        {
          type: 'spec.purchase-noted',
          data: { purchaseId: purchase.purchaseId },
          metadata: { correlationId },
        },
      ]),
    ];
  }
}

@Module({ controllers: [PurchaseNotes] })
class SpecModule {}

function recorded(purchaseId = randomUUID()): PurchaseRecordedV1 {
  return {
    purchaseId,
    channel: 'store',
    externalRef: `ST-${purchaseId.slice(0, 8)}`,
    resellerId: null,
    customer: { email: 'ana@example.com', name: 'Ana Lima', company: null },
    items: [{ itemId: randomUUID(), sku: 'BARCODE-JS-DEVICE-1Y', quantity: 1, unitPrice: '10.00' }],
    currency: 'USD',
    total: '10.00',
    recordedAt: '2026-12-01T10:00:00.000Z',
  };
}

const envelope = (type: string, data: object, subject: string) =>
  JSON.stringify({
    ...toCloudEvent({
      id: randomUUID(),
      source: '/spec',
      type: 'purchase.recorded.v1',
      subject,
      time: new Date(),
      data: recorded(),
    }),
    type,
    data,
  });

describe('InboxTransport: @EventPattern handlers on the Kafka inbox (real Postgres and Kafka)', () => {
  let db: MigratedTestDatabase;
  let kafka: Kafka;
  let producer: Producer;
  let app: INestApplication;
  let dlq: TopicRecorder;
  const consumer = uniqueName('transport');
  const metrics = new Registry();
  /** `inbox_records_total` of this consumer for one outcome. */
  const outcomes = async (outcome: string) =>
    (await metrics.getSingleMetric('inbox_records_total')?.get())?.values.find(
      (value) => value.labels.consumer === consumer && value.labels.outcome === outcome,
    )?.value ?? 0;

  beforeAll(async () => {
    db = await migratedTestDatabase('transport');
    kafka = testKafka('transport-spec');
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    dlq = await new TopicRecorder(kafka, [dlqTopicOf(topics.purchases)]).start();
    const logger = createLogger('transport-spec', 'silent');
    app = await NestFactory.create(SpecModule, new FastifyAdapter(), { logger: false });
    app.useGlobalFilters(new ProblemDetailsFilter(logger));
    await app.init();
    const transport = new InboxTransport({
      kafka,
      store: new EventStore(db.pool),
      logger: silentLogger,
      metrics,
      subscriptions: [{ name: consumer, maxAttempts: 2, retryBaseMs: 5 }],
    });
    await connectInbox(app, transport);
  });

  afterAll(async () => {
    await app?.close();
    await dlq?.stop();
    await producer?.disconnect();
    await db?.close();
  });

  const send = (value: string, headers: Record<string, string> = {}) =>
    producer.send({ topic: topics.purchases, acks: -1, messages: [{ key: randomUUID(), value, headers }] });
  const inboxRow = async (eventId: string) =>
    (
      await db.pool.query<{ event_type: string }>(
        'SELECT event_type FROM es_inbox WHERE consumer = $1 AND event_id = $2',
        [consumer, eventId],
      )
    ).rows[0];
  const dlqHas = (value: string) => dlq.records.some((record) => record.value === value);
  const notes = async (purchaseId: string) =>
    (
      await db.pool.query<{ metadata: { correlationId?: string } }>(
        'SELECT metadata FROM es_events WHERE stream_id = $1',
        [noteStream(purchaseId)],
      )
    ).rows;

  it('runs the handler for its type inside the correlation id of the record, once', async () => {
    const purchase = recorded();
    const id = randomUUID();
    const value = JSON.stringify(
      toCloudEvent({
        id,
        source: '/spec',
        type: 'purchase.recorded.v1',
        subject: purchase.purchaseId,
        time: new Date(),
        data: purchase,
      }),
    );
    await send(value, { [KAFKA_CORRELATION_HEADER]: 'corr-from-kafka' });
    await send(value, { [KAFKA_CORRELATION_HEADER]: 'corr-from-kafka' }); // a redelivery
    await until(async () => expect(await inboxRow(id)).toEqual({ event_type: 'purchase.recorded.v1' }));
    await until(async () => expect(await notes(purchase.purchaseId)).toHaveLength(1));
    const [note] = await notes(purchase.purchaseId);
    expect(note?.metadata.correlationId).toBe('corr-from-kafka');
    expect(handled.filter((entry) => entry.purchaseId === purchase.purchaseId)).toEqual([
      expect.objectContaining({ correlationId: 'corr-from-kafka' }),
    ]);
  });

  it('records and skips a type it has no handler for, new or known, instead of dead-lettering it', async () => {
    const later = randomUUID();
    const refund = randomUUID();
    const newType = JSON.stringify({
      ...JSON.parse(envelope('purchase.discounted.v2', { anything: 1 }, later)),
      id: later,
    });
    const knownUnhandled = JSON.stringify({
      ...JSON.parse(envelope('purchase.refunded.v1', { not: 'even valid' }, refund)),
      id: refund,
    });
    const skippedBefore = await outcomes('skipped');
    await send(newType);
    await send(knownUnhandled);
    await until(async () => expect(await inboxRow(later)).toEqual({ event_type: 'purchase.discounted.v2' }));
    await until(async () => expect(await inboxRow(refund)).toEqual({ event_type: 'purchase.refunded.v1' }));
    // A record sent after them is applied, so the partition moved past both; none reached the DLQ.
    const after = recorded();
    const afterValue = envelope('purchase.recorded.v1', after, after.purchaseId);
    await send(afterValue);
    await until(async () => expect(await notes(after.purchaseId)).toHaveLength(1));
    expect(dlqHas(newType) || dlqHas(knownUnhandled)).toBe(false);
    // Counted as skipped: no handler ran for them (an applied no-op would count as applied).
    expect((await outcomes('skipped')) - skippedBefore).toBe(2);
  });

  it('dead-letters a record that is not a CloudEvent, and a handled type whose data breaks its schema', async () => {
    const garbage = `not json ${randomUUID()}`;
    const broken = recorded();
    const invalid = envelope('purchase.recorded.v1', { ...broken, items: [] }, broken.purchaseId);
    await send(garbage);
    await send(invalid);
    await until(() => expect(dlqHas(garbage) && dlqHas(invalid)).toBe(true));
    expect(await notes(broken.purchaseId)).toHaveLength(0);
  });

  it('hands a handler error to the inbox unchanged: an outage is waited out past maxAttempts, not dead-lettered', async () => {
    const purchase = recorded();
    // A deadlock is transient: the inbox retries it without counting attempts (maxAttempts is 2).
    failures.set(purchase.purchaseId, {
      remaining: 4,
      error: () => Object.assign(new Error('deadlock detected'), { code: '40P01' }),
    });
    const value = envelope('purchase.recorded.v1', purchase, purchase.purchaseId);
    await send(value);
    await until(async () => expect(await notes(purchase.purchaseId)).toHaveLength(1), { timeoutMs: 20_000 });
    expect(failures.get(purchase.purchaseId)?.remaining).toBe(-1);
    expect(dlqHas(value)).toBe(false);
  });

  it('dead-letters a record whose handler keeps failing, with the error it threw', async () => {
    const purchase = recorded();
    failures.set(purchase.purchaseId, {
      remaining: 100,
      error: () => new Error(`cannot note ${purchase.purchaseId}`),
    });
    const value = envelope('purchase.recorded.v1', purchase, purchase.purchaseId);
    await send(value);
    await until(() => expect(dlqHas(value)).toBe(true), { timeoutMs: 20_000 });
    const parked = dlq.records.find((record) => record.value === value);
    expect(parked?.headers['dlq-error-message']).toBe(`cannot note ${purchase.purchaseId}`);
    expect(parked?.headers['dlq-attempts']).toBe('2');
  });
});
