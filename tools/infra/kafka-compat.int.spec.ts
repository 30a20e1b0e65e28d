// Proves that kafkajs 2.2.4 works with the Kafka version tools/kafka/pom.xml fetches, for what the
// services rely on: admin, idempotent producing with acks=-1, consumer groups with manual commits.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';

const brokers = process.env['KAFKA_BROKERS'];
const runId = randomUUID().slice(0, 8);
const kafka = new Kafka({
  clientId: `kafka-compat-${runId}`,
  brokers: (brokers ?? '').split(','),
  logLevel: logLevel.NOTHING,
});

interface Received {
  partition: number;
  offset: bigint;
  key: string;
  value: string;
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Joins `groupId` and records every message; commits offset + 1 explicitly after each one. */
async function consume(groupId: string, topic: string, received: Received[]): Promise<Consumer> {
  // A short fetch wait keeps disconnect() (which lets the running fetch finish) quick.
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      received.push({
        partition,
        offset: BigInt(message.offset),
        key: String(message.key),
        value: String(message.value),
      });
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
  return consumer;
}

describe('kafkajs 2.2.4 against the local Kafka broker', () => {
  let admin: Admin;
  const topics: string[] = [];
  const clients: (Producer | Consumer)[] = [];

  async function newTopic(name: string): Promise<string> {
    const topic = `${name}-${runId}`;
    topics.push(topic);
    expect(
      await admin.createTopics({
        topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
        waitForLeaders: true,
      }),
    ).toBe(true);
    return topic;
  }

  beforeAll(async () => {
    if (!brokers)
      throw new Error('KAFKA_BROKERS is not set: run this through `npm test`, which starts a broker');
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.disconnect()));
    if (topics.length > 0) await admin?.deleteTopics({ topics });
    await admin?.disconnect();
  }, 30_000);

  it('creates a topic with 3 partitions, reports its metadata and does not create it twice', async () => {
    const topic = await newTopic('compat-admin');

    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata).toHaveLength(1);
    expect(metadata[0].name).toBe(topic);
    expect(metadata[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    for (const partition of metadata[0].partitions) {
      expect(partition.partitionErrorCode).toBe(0);
      expect(partition.leader).toBeGreaterThanOrEqual(0);
      expect(partition.isr).toEqual([partition.leader]);
    }
    expect(await admin.listTopics()).toContain(topic);
    // kafkajs reports an existing topic as "not created" instead of failing.
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(false);
  });

  it('produces idempotently, consumes with manual commits, and a restarted group member gets nothing old', async () => {
    const topic = await newTopic('compat-flow');
    const groupId = `compat-group-${runId}`;
    const keys = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    const sent = [0, 1].flatMap((round) => keys.map((key) => ({ key, value: `${key}:${round}` })));

    const producer = kafka.producer({ idempotent: true });
    clients.push(producer);
    await producer.connect();
    const acks = await producer.send({ topic, acks: -1, messages: sent });
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack.errorCode).toBe(0);

    const received: Received[] = [];
    const first = await consume(groupId, topic, received);
    clients.push(first);
    await until(() => received.length >= sent.length, `${sent.length} messages`);
    await first.disconnect();

    // Everything arrived once; a key always lands on one partition, in the order it was sent.
    expect(received.map((r) => r.value).sort()).toEqual(sent.map((m) => m.value).sort());
    for (const key of keys) {
      const ofKey = received.filter((r) => r.key === key);
      expect(new Set(ofKey.map((r) => r.partition)).size).toBe(1);
      expect(ofKey.map((r) => r.value)).toEqual([`${key}:0`, `${key}:1`]);
    }

    // The explicit commits are what the group coordinator holds: offset + 1 of the last message,
    // which is each partition's end (-1 where a partition got no message).
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    expect(committed).toHaveLength(1);
    expect(committed[0].partitions).toHaveLength(3);
    for (const { partition, offset } of committed[0].partitions) {
      const count = received.filter((r) => r.partition === partition).length;
      expect(offset).toBe(count > 0 ? String(count) : '-1');
      expect(ends.find((end) => end.partition === partition)?.high).toBe(String(count));
    }

    // A new member of the group starts from the commits: it must see only what is produced now.
    // One fresh message per partition: any redelivered old message would precede it on its partition.
    const again: Received[] = [];
    const second = await consume(groupId, topic, again);
    clients.push(second);
    await producer.send({
      topic,
      acks: -1,
      messages: [0, 1, 2].map((partition) => ({ partition, key: 'late', value: `late:${partition}` })),
    });
    await until(() => again.length >= 3, 'the 3 messages produced after the restart');
    expect(again.map((r) => r.value).sort()).toEqual(['late:0', 'late:1', 'late:2']);
    for (const r of again) {
      expect(r.offset).toBe(BigInt(received.filter((old) => old.partition === r.partition).length));
    }
  }, 90_000);
});
