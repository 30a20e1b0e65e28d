import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { TopicRecorder, createTopics, eventually, testKafka, uniqueName } from '@otl/testing';
import { migratedTestDatabase, type MigratedTestDatabase } from './test-support/database';
import { EventStore } from './event-store';
import { Forwarder } from './forwarder';
import { loadCheckpoint } from './global-log';
import { silentLogger } from './logger';

describe('Forwarder (real Postgres and Kafka)', () => {
  let db: MigratedTestDatabase;
  let pool: Pool;
  let store: EventStore;
  let kafka: Kafka;
  let producer: Producer;
  let topic: string;
  let recorder: TopicRecorder;
  const forwarders: Forwarder[] = [];

  beforeAll(async () => {
    db = await migratedTestDatabase('forwarder');
    pool = db.pool;
    store = new EventStore(pool);
    kafka = testKafka('forwarder-spec');
    topic = uniqueName('forwarded');
    await createTopics(kafka, [topic]);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    recorder = await new TopicRecorder(kafka, [topic]).start();
  });

  afterEach(async () => {
    await Promise.all(forwarders.splice(0).map((forwarder) => forwarder.stop()));
  });

  afterAll(async () => {
    await recorder?.stop();
    await producer?.disconnect();
    await db?.close();
  });

  function forwarder(name: string) {
    const instance = new Forwarder({
      name,
      pool,
      producer,
      logger: silentLogger,
      pollIntervalMs: 5000, // long, so these tests prove NOTIFY wakes it
      standbyRetryMs: 100,
      route: (event) =>
        event.type === 'internal'
          ? null
          : {
              topic,
              key: String(event.metadata.subject),
              value: JSON.stringify({ id: event.eventId, type: event.type }),
            },
    });
    forwarders.push(instance);
    instance.start();
    return instance;
  }

  /** Appends to a new stream; events sharing a subject share a partition, so Kafka keeps their order. */
  const append = (type: string, subject = randomUUID()) => {
    const stream = randomUUID();
    return store.transaction({ lockStreams: [stream] }, (tx) =>
      tx.appendToStream(stream, 0, [{ type, data: {}, metadata: { subject } }]),
    );
  };
  const typesOnKafka = () => recorder.records.map((record) => JSON.parse(record.value).type as string);

  it('publishes committed events keyed by subject, skips internal ones, and saves its checkpoint', async () => {
    const name = uniqueName('fwd');
    forwarder(name);
    // One subject, so one partition: Kafka keeps these in order.
    const subject = randomUUID();
    const [published] = await append('first.happened', subject);
    await append('internal', subject);
    const [after] = await append('after.internal', subject);
    await recorder.waitFor((records) => records.some((record) => record.value.includes(after!.eventId)));
    const record = recorder.records.find((candidate) => candidate.value.includes(published!.eventId))!;
    expect(record.key).toBe(subject);
    // The internal event lies between two that arrived, so had it been published it would be here.
    expect(
      recorder.records.filter((candidate) => candidate.key === subject).map((r) => JSON.parse(r.value).type),
    ).toEqual(['first.happened', 'after.internal']);
    await eventually(async () => {
      const checkpoint = await loadCheckpoint(pool, name);
      return checkpoint.globalPosition === after!.globalPosition ? checkpoint : undefined;
    });
  });

  it('waits for a transaction that commits late and then publishes everything in commit-safe order', async () => {
    forwarder(uniqueName('fwd'));
    const tag = randomUUID().slice(0, 8);
    let release!: () => void;
    const mayCommit = new Promise<void>((resolve) => (release = resolve));
    let appended!: () => void;
    const slowAppended = new Promise<void>((resolve) => (appended = resolve));
    const slow = randomUUID();
    const subject = randomUUID();
    const slowTx = store.transaction({ lockStreams: [slow] }, async (tx) => {
      await tx.appendToStream(slow, 0, [{ type: `slow-${tag}`, data: {}, metadata: { subject } }]);
      appended();
      await mayCommit;
    });
    await slowAppended;
    await append(`fast1-${tag}`, subject);
    await append(`fast2-${tag}`, subject);
    // Give the forwarder every chance to (wrongly) run ahead of the open transaction.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(typesOnKafka().filter((type) => type.endsWith(tag))).toEqual([]);
    release();
    await slowTx;
    await recorder.waitFor((records) => records.filter((record) => record.value.includes(tag)).length === 3);
    expect(typesOnKafka().filter((type) => type.endsWith(tag))).toEqual([
      `slow-${tag}`,
      `fast1-${tag}`,
      `fast2-${tag}`,
    ]);
  });

  it('runs one active forwarder per name; a standby takes over without republishing', async () => {
    const name = uniqueName('fwd');
    const first = forwarder(name);
    const second = forwarder(name);
    await eventually(() => (first.isActive || second.isActive ? true : undefined));
    expect(first.isActive && second.isActive).toBe(false);
    const tag = randomUUID().slice(0, 8);
    const subject = randomUUID();
    await append(`before-${tag}`, subject);
    await recorder.waitFor((records) => records.some((record) => record.value.includes(`before-${tag}`)));

    const [active, standby] = first.isActive ? [first, second] : [second, first];
    await active.stop();
    await eventually(() => (standby.isActive ? true : undefined), { what: 'standby to take over' });
    await append(`after-${tag}`, subject);
    await recorder.waitFor((records) => records.some((record) => record.value.includes(`after-${tag}`)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(typesOnKafka().filter((type) => type.endsWith(tag))).toEqual([`before-${tag}`, `after-${tag}`]);
  });
});
