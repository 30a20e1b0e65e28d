import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { TopicRecorder, createTopics, eventually, testKafka, uniqueName } from '@otl/testing';
import { migratedTestDatabase, type MigratedTestDatabase } from './test-support/database';
import { EventStore } from './event-store';
import { dlqTopicOf } from '@otl/contracts';
import { InboxConsumer } from './inbox-consumer';
import { silentLogger } from './logger';

interface TestEvent {
  id: string;
  kind: 'credit' | 'poison';
  amount: number;
}

describe('InboxConsumer (real Postgres and Kafka)', () => {
  let db: MigratedTestDatabase;
  let pool: Pool;
  let kafka: Kafka;
  let producer: Producer;
  let topic: string;
  let dlq: TopicRecorder;
  let consumer: InboxConsumer<TestEvent>;
  const attemptsById = new Map<string, number>();

  beforeAll(async () => {
    db = await migratedTestDatabase('inbox');
    pool = db.pool;
    await pool.query(`CREATE TABLE ledger (event_id uuid NOT NULL, amount integer NOT NULL)`);
    kafka = testKafka('inbox-spec');
    topic = uniqueName('inbox');
    await createTopics(kafka, [topic, dlqTopicOf(topic)], 1);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    dlq = await new TopicRecorder(kafka, [dlqTopicOf(topic)]).start();
    consumer = new InboxConsumer<TestEvent>({
      name: uniqueName('ledger'),
      kafka,
      store: new EventStore(pool),
      topics: [topic],
      dlqProducer: producer,
      logger: silentLogger,
      maxAttempts: 3,
      retryBaseMs: 10,
      parse: (value) => JSON.parse(value.toString()) as TestEvent,
      identify: (event) => ({ id: event.id, type: event.kind }),
      streamsOf: () => [],
      handle: async (event, tx) => {
        attemptsById.set(event.id, (attemptsById.get(event.id) ?? 0) + 1);
        await tx.query('INSERT INTO ledger (event_id, amount) VALUES ($1, $2)', [event.id, event.amount]);
        if (event.kind === 'poison') throw new Error(`cannot apply ${event.id}`);
      },
    });
    await consumer.start();
  });

  afterAll(async () => {
    await consumer?.stop();
    await dlq?.stop();
    await producer?.disconnect();
    await db?.close();
  });

  const send = (...values: string[]) =>
    producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });
  const ledgerRows = async (id: string) =>
    (await pool.query<{ amount: number }>('SELECT amount FROM ledger WHERE event_id = $1', [id])).rows;

  it('applies an event delivered twice exactly once', async () => {
    const event: TestEvent = { id: randomUUID(), kind: 'credit', amount: 5 };
    await send(JSON.stringify(event), JSON.stringify(event));
    const marker: TestEvent = { id: randomUUID(), kind: 'credit', amount: 1 };
    await send(JSON.stringify(marker));
    await eventually(async () => ((await ledgerRows(marker.id)).length === 1 ? true : undefined));
    expect(await ledgerRows(event.id)).toEqual([{ amount: 5 }]);
    expect(attemptsById.get(event.id)).toBe(1);
  });

  it('parks a failing event on the DLQ after bounded retries, rolls back its effect, and moves on', async () => {
    const poison: TestEvent = { id: randomUUID(), kind: 'poison', amount: 7 };
    const after: TestEvent = { id: randomUUID(), kind: 'credit', amount: 2 };
    await send(JSON.stringify(poison), JSON.stringify(after));
    await eventually(async () => ((await ledgerRows(after.id)).length === 1 ? true : undefined));
    expect(attemptsById.get(poison.id)).toBe(3);
    expect(await ledgerRows(poison.id)).toEqual([]);
    const parked = await dlq.waitFor((records) => records.some((record) => record.value.includes(poison.id)));
    const record = parked.find((candidate) => candidate.value.includes(poison.id))!;
    expect(record.headers['dlq-error-message']).toBe(`cannot apply ${poison.id}`);
    expect(record.headers['dlq-original-topic']).toBe(topic);
    expect(record.headers['dlq-attempts']).toBe('3');
  });

  it('parks an unparseable record at once', async () => {
    const after: TestEvent = { id: randomUUID(), kind: 'credit', amount: 3 };
    await send('{not json', JSON.stringify(after));
    await eventually(async () => ((await ledgerRows(after.id)).length === 1 ? true : undefined));
    await dlq.waitFor((records) => records.some((record) => record.value === '{not json'));
  });

  it('commits offset + 1 after each record', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const end = await admin.fetchTopicOffsets(topic);
      await eventually(async () => {
        const [committed] = await admin.fetchOffsets({
          groupId: (consumer as unknown as { options: { name: string } }).options.name,
          topics: [topic],
        });
        return committed!.partitions[0]!.offset === end[0]!.offset ? true : undefined;
      });
    } finally {
      await admin.disconnect();
    }
  });
});
