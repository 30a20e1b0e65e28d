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

// Record by record, and in groups of up to 10 records per transaction (group commit).
describe.each([1, 10])('InboxConsumer with groupSize %i (real Postgres and Kafka)', (groupSize) => {
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
      groupSize,
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
    // A failed group is applied again record by record: the poison's group attempt comes on top.
    const attempts = attemptsById.get(poison.id) ?? 0;
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(groupSize > 1 ? 4 : 3);
    expect(await ledgerRows(poison.id)).toEqual([]);
    const parked = await dlq.waitFor((records) => records.some((record) => record.value.includes(poison.id)));
    const record = parked.find((candidate) => candidate.value.includes(poison.id))!;
    expect(record.headers['dlq-error-message']).toBe(`cannot apply ${poison.id}`);
    expect(record.headers['dlq-original-topic']).toBe(topic);
    expect(record.headers['dlq-attempts']).toBe('3');
  });

  it('applies a burst of records once each, with one inbox row each', async () => {
    const burst: TestEvent[] = Array.from({ length: 25 }, (_, i) => ({
      id: randomUUID(),
      kind: 'credit',
      amount: i,
    }));
    await send(...burst.map((event) => JSON.stringify(event)), JSON.stringify(burst[3]));
    await eventually(async () => ((await ledgerRows(burst[24]!.id)).length === 1 ? true : undefined));
    const { rows } = await pool.query<{ count: string }>(
      'SELECT count(*) FROM ledger WHERE event_id = ANY($1::uuid[])',
      [burst.map((event) => event.id)],
    );
    expect(Number(rows[0]!.count)).toBe(25);
    expect(burst.map((event) => attemptsById.get(event.id))).toEqual(burst.map(() => 1));
  });

  it('parks an unparseable record at once', async () => {
    const after: TestEvent = { id: randomUUID(), kind: 'credit', amount: 3 };
    await send('{not json', JSON.stringify(after));
    await eventually(async () => ((await ledgerRows(after.id)).length === 1 ? true : undefined));
    await dlq.waitFor((records) => records.some((record) => record.value === '{not json'));
  });

  it('commits the offset after the last record', async () => {
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
