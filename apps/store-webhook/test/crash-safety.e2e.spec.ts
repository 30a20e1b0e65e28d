import { parseCloudEvent, topics } from '@otl/contracts';
import { EventStore, InboxConsumer, createDataSource, migrate, poolOf, silentLogger } from '@otl/event-store';
import {
  TopicRecorder,
  createTestDatabase,
  eventually,
  freePort,
  startService,
  storeOrder,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '@otl/testing';
import type { DataSource } from 'typeorm';
import { deliver, newOrderId, newSecret, purchaseEvents, queryOne, serviceEnv } from './support';

describe('store-webhook crash safety (SIGKILL between commit and publish)', () => {
  const secret = newSecret();
  const kafka = testKafka('crash-e2e');
  let db: TestDatabase;
  let consumerDb: TestDatabase;
  let consumerData: DataSource;
  let recorder: TopicRecorder;
  let inbox: InboxConsumer<ReturnType<typeof parseCloudEvent>>;
  const applied: string[] = [];
  const dlqProducer = kafka.producer();

  beforeAll(async () => {
    db = await createTestDatabase('store_webhook_crash');
    recorder = await new TopicRecorder(kafka, [topics.purchases]).start();
    // A downstream consumer with an inbox, on a database of its own.
    consumerDb = await createTestDatabase('crash_consumer');
    consumerData = createDataSource({ url: consumerDb.url });
    await consumerData.initialize();
    await migrate(consumerData);
    await dlqProducer.connect();
    inbox = new InboxConsumer({
      name: uniqueName('crash-consumer'),
      kafka,
      store: new EventStore(poolOf(consumerData)),
      topics: [topics.purchases],
      dlqProducer,
      logger: silentLogger,
      parse: (value) => parseCloudEvent(value),
      identify: (event) => ({ id: event.id, type: event.type }),
      streamsOf: () => [],
      fromBeginning: false, // only this spec's purchases matter, not the topic's history
      handle: async (event) => void applied.push(event.subject),
    });
    await inbox.start();
  });

  afterAll(async () => {
    await inbox?.stop();
    await dlqProducer.disconnect();
    await recorder?.stop();
    await consumerData?.destroy();
    await consumerDb?.drop();
    await db?.drop();
  });

  it('publishes after restart what was committed before the kill, and the inbox applies it once', async () => {
    // Kafka unreachable: the delivery commits (202) but cannot be published yet.
    const deadBroker = `127.0.0.1:${await freePort()}`;
    const first = await startService(
      'store-webhook',
      serviceEnv(db.url, [secret], { KAFKA_BROKERS: deadBroker }),
      {
        waitFor: 'live',
      },
    );
    // Not ready (Kafka is unreachable), yet it accepts: the delivery only needs the database.
    const ready = await fetch(`${first.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks['kafka']).toMatch(/^down/);
    const answer = await deliver(first.url, secret, storeOrder(newOrderId()));
    expect(answer.status).toBe(202);
    const purchaseId = answer.body.purchaseId as string;
    await first.kill();
    expect(purchaseEvents(recorder.records, purchaseId)).toHaveLength(0);
    const stored = await queryOne<{ count: string }>(db.url, 'SELECT count(*) FROM es_events');
    expect(stored.count).toBe('1');

    // Restarted with Kafka back: the committed event goes out.
    const second = await startService('store-webhook', serviceEnv(db.url, [secret]));
    await recorder.waitFor(
      (records) => purchaseEvents(records, purchaseId).length === 1,
      'the event after restart',
    );
    await eventually(() => (applied.includes(purchaseId) ? true : undefined), {
      what: 'the consumer to apply it',
    });
    await eventually(async () => {
      const row = await queryOne<{ name: string } | undefined>(db.url, 'SELECT name FROM es_checkpoints');
      return row ? true : undefined;
    });

    // Crash after the publish but before the checkpoint: the event is published again
    // (at-least-once); the inbox makes the consumer apply it only once.
    await second.kill();
    await queryOne(db.url, 'DELETE FROM es_checkpoints');
    const third = await startService('store-webhook', serviceEnv(db.url, [secret]));
    await recorder.waitFor(
      (records) => purchaseEvents(records, purchaseId).length === 2,
      'the republished event',
    );
    const [published, republished] = purchaseEvents(recorder.records, purchaseId);
    expect(republished!.id).toBe(published!.id);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(applied.filter((subject) => subject === purchaseId)).toEqual([purchaseId]);
    await third.stop();
  });
});
