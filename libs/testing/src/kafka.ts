import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { requireEnv, uniqueName } from './env';
import { eventually } from './wait';

export function testKafka(clientId = 'spec'): Kafka {
  return new Kafka({ clientId, brokers: requireEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
}

export async function createTopics(kafka: Kafka, topics: string[], numPartitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions })),
    });
    await admin.fetchTopicMetadata({ topics });
  } finally {
    await admin.disconnect();
  }
}

export interface ReceivedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** Reads topics from the beginning in a group of its own, collecting every record. */
export class TopicRecorder {
  readonly records: ReceivedRecord[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: string[],
  ) {}

  async start(): Promise<this> {
    this.consumer = this.kafka.consumer({
      groupId: uniqueName('recorder'),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    let assigned = false;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      assigned = true;
    });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.records.push(toRecord(topic, partition, message));
      },
    });
    await eventually(() => (assigned ? true : undefined), { what: 'recorder to join its group' });
    return this;
  }

  /** Waits until `predicate` holds for the records seen so far. */
  async waitFor(predicate: (records: ReceivedRecord[]) => boolean, what = 'records', timeoutMs = 20_000) {
    return eventually(() => (predicate(this.records) ? this.records : undefined), { what, timeoutMs });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

function toRecord(topic: string, partition: number, message: KafkaMessage): ReceivedRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined)
      headers[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString() : null,
    value: message.value ? message.value.toString() : '',
    headers,
  };
}
