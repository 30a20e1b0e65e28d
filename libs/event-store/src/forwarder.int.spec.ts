import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { TopicRecorder, createTopics, eventually, testKafka, uniqueName } from '@otl/testing';
import { migratedTestDatabase, type MigratedTestDatabase } from './test-support/database';
import { EventStore } from './event-store';
import { APPENDED_CHANNEL, Forwarder } from './forwarder';
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
    // Wakes this process's forwarders after each commit, as ServiceStore does.
    store = new EventStore(pool, { onAppended: () => forwarders.forEach((forwarder) => forwarder.notify()) });
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
      // Longer than any test: they prove that wake-ups, not the fallback poll, get events out.
      pollIntervalMs: 600_000,
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

  it('wakes at once on a NOTIFY from a writer in another process', async () => {
    const active = forwarder(uniqueName('fwd'));
    await eventually(() => (active.isActive ? true : undefined));
    const tag = randomUUID().slice(0, 8);
    // A store that wakes no forwarder of this process, like another instance's.
    const elsewhere = new EventStore(pool);
    const stream = randomUUID();
    await elsewhere.transaction({ lockStreams: [stream] }, (tx) =>
      tx.appendToStream(stream, 0, [{ type: `remote-${tag}`, data: {}, metadata: { subject: stream } }]),
    );
    await pool.query(`SELECT pg_notify('${APPENDED_CHANNEL}', '')`);
    await recorder.waitFor((records) => records.some((record) => record.value.includes(`remote-${tag}`)));
  });

  it('publishes an event held back by an older transaction soon after that one ends, unprompted', async () => {
    const active = forwarder(uniqueName('fwd'));
    await eventually(() => (active.isActive ? true : undefined));
    const tag = randomUUID().slice(0, 8);
    // An older writing transaction that appends nothing and will notify no one (in production:
    // another service's transaction on the same server, a migration, an operator's script).
    const blocker = await pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_current_xact_id()'); // takes a transaction id: now it holds back xmin
      await append(`held-${tag}`); // commits and wakes the forwarder, which must not read it yet
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(typesOnKafka().filter((type) => type.endsWith(tag))).toEqual([]);
      await blocker.query('COMMIT');
    } finally {
      blocker.release();
    }
    await recorder.waitFor(
      (records) => records.some((record) => record.value.includes(`held-${tag}`)),
      'the held-back event',
      5000,
    );
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
