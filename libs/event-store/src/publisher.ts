import { dlqTopicOf } from '@otl/contracts';
import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import type { Pool } from 'pg';
import type { StoredEvent } from './event-store';
import { announceAppended, Forwarder, type KafkaRecord } from './forwarder';
import { ensureTopics } from './kafka';
import { errorFields, sleep, type Logger } from './logger';

export interface EventPublisherOptions {
  /** Service name: names the forwarder (checkpoint, lock) and the Kafka client. */
  name: string;
  kafka: Kafka;
  pool: Pool;
  /** Topics this service publishes to; created (with their DLQs) at start-up. */
  topics: readonly string[];
  partitions: number;
  route(event: StoredEvent): KafkaRecord | null;
  logger: Logger;
  onPublished?(events: readonly StoredEvent[], records: number): void;
  /** See ForwarderOptions.onNotified. */
  onNotified?(): void;
}

/**
 * Connects to Kafka in the background and then runs the forwarder. The service keeps
 * accepting work while Kafka is unreachable: events wait in the store and go out once
 * the broker is back.
 */
export class EventPublisher {
  private readonly producer: Producer;
  private readonly admin: Admin;
  private forwarder: Forwarder | undefined;
  private starting: Promise<void> | undefined;
  private stopping = false;
  private notifyScheduled = false;

  constructor(private readonly options: EventPublisherOptions) {
    this.producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // murmur2 on the key, as the Java client does: a key lands on the same partition
      // whichever client produced it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = options.kafka.admin();
  }

  start(): void {
    this.starting ??= this.connectAndForward();
  }

  private async connectAndForward(): Promise<void> {
    const { logger, topics, partitions, kafka } = this.options;
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await ensureTopics(kafka, [...topics, ...topics.map((topic) => dlqTopicOf(topic))], partitions);
        await this.admin.connect();
        await this.producer.connect();
        break;
      } catch (error) {
        logger.warn({ ...errorFields(error), attempt }, 'Kafka not reachable yet; events wait in the store');
        await sleep(Math.min(500 * attempt, 5000));
      }
    }
    if (this.stopping) return;
    this.forwarder = new Forwarder({
      name: `${this.options.name}.forwarder`,
      pool: this.options.pool,
      producer: this.producer,
      route: this.options.route,
      logger,
      onPublished: this.options.onPublished,
      onNotified: this.options.onNotified,
    });
    this.forwarder.start();
  }

  /**
   * Called after events were committed: wakes this process's forwarder at once and, at
   * most once per 10 ms, NOTIFYs forwarders of other instances (the active one may run
   * elsewhere). NOTIFY stays out of the writers' transactions, where it would serialise
   * every commit behind a global lock.
   */
  notifyAppended(): void {
    this.forwarder?.notify();
    if (this.forwarder?.isActive || this.notifyScheduled || this.stopping) return;
    this.notifyScheduled = true;
    setTimeout(() => {
      this.notifyScheduled = false;
      announceAppended(this.options.pool).catch(() => undefined);
    }, 10).unref();
  }

  /** Readiness: the broker answers a metadata request. */
  async checkKafka(): Promise<void> {
    await this.admin.describeCluster();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.starting;
    await this.forwarder?.stop();
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
}
