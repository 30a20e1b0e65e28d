import { dlqTopicOf } from '@otl/contracts';
import { KAFKA_CORRELATION_HEADER } from './public-events';
import type { Consumer, Kafka, KafkaMessage, Producer, IHeaders } from 'kafkajs';
import type { EventStore, EventTransaction } from './event-store';
import { errorFields, sleep, type Logger } from './logger';
import { isTransientDatabaseError } from './sql';

export interface InboxMessage<E> {
  event: E;
  topic: string;
  partition: number;
  offset: string;
  headers: IHeaders;
}

export interface InboxConsumerOptions<E> {
  /** Consumer group id and inbox name. */
  name: string;
  kafka: Kafka;
  store: EventStore;
  topics: readonly string[];
  /** Connected producer used to park poison messages on `<topic>.dlq`. */
  dlqProducer: Producer;
  logger: Logger;
  /** Turns a record value into an event; throwing makes the record poison at once. */
  parse(value: Buffer): E;
  identify(event: E): { id: string; type: string };
  /** Streams the handler will append to (locked before anything is written). */
  streamsOf(event: E): readonly string[];
  /** Applies the event inside the transaction that also records it in the inbox. */
  handle(event: E, tx: EventTransaction, message: InboxMessage<E>): Promise<void>;
  /** Attempts before a failing record goes to the DLQ (database outages do not count). */
  maxAttempts?: number;
  retryBaseMs?: number;
  partitionsConsumedConcurrently?: number;
  /** Where a new consumer group starts: the whole topic (default) or only new records. */
  fromBeginning?: boolean;
  onProcessed?(
    outcome: 'applied' | 'duplicate' | 'dead-lettered',
    message: InboxMessage<E> | undefined,
  ): void;
}

class DuplicateRaceError extends Error {
  constructor(consumer: string, eventId: string) {
    super(`${consumer} applied event ${eventId} concurrently; rolled back`);
    this.name = 'DuplicateRaceError';
  }
}

/**
 * A Kafka consumer with an inbox: each record is applied at most once (the inbox row
 * and the effect commit together), then its offset + 1 is committed. A record that keeps
 * failing is parked on `<topic>.dlq` with the error in its headers, so it never blocks
 * its partition; a database outage is waited out instead of dead-lettering.
 */
export class InboxConsumer<E> {
  private consumer: Consumer | undefined;
  private stopping = false;

  constructor(private readonly options: InboxConsumerOptions<E>) {}

  async start(): Promise<void> {
    const { kafka, name, topics } = this.options;
    // A short fetch wait keeps shutdown quick; records still arrive as soon as they exist.
    const consumer = kafka.consumer({ groupId: name, allowAutoTopicCreation: false, maxWaitTimeInMs: 1000 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: this.options.fromBeginning ?? true });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachMessage: async ({ topic, partition, message }) => {
        await this.process(topic, partition, message);
        await consumer.commitOffsets([
          { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
        ]);
      },
    });
    // Resolve once partitions are assigned, so callers know records from now on are seen.
    await joined;
  }

  /** Stops fetching; a record being applied finishes first (its offset is committed). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect();
  }

  private async process(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const { logger, name } = this.options;
    // The producer's correlation id travels in the record headers; log it with the record.
    const correlationId = message.headers?.[KAFKA_CORRELATION_HEADER]?.toString();
    const where = { consumer: name, topic, partition, offset: message.offset, correlationId };
    let parsed: InboxMessage<E>;
    try {
      if (!message.value) throw new Error('record has no value');
      const event = this.options.parse(message.value);
      parsed = { event, topic, partition, offset: message.offset, headers: message.headers ?? {} };
    } catch (error) {
      await this.deadLetter(where, message, error, 1);
      return;
    }

    const maxAttempts = this.options.maxAttempts ?? 5;
    const base = this.options.retryBaseMs ?? 200;
    for (let attempt = 1, outage = 0; ;) {
      if (this.stopping) throw new Error('consumer stopping; record left uncommitted for redelivery');
      try {
        const outcome = await this.applyOnce(parsed);
        this.options.onProcessed?.(outcome, parsed);
        return;
      } catch (error) {
        if (isTransientDatabaseError(error)) {
          outage++;
          logger.warn({ ...where, ...errorFields(error) }, 'database unavailable; retrying record');
          await sleep(Math.min(base * 2 ** outage, 5000));
          continue;
        }
        if (attempt >= maxAttempts) {
          await this.deadLetter(where, message, error, attempt);
          this.options.onProcessed?.('dead-lettered', parsed);
          return;
        }
        logger.warn({ ...where, attempt, ...errorFields(error) }, 'applying record failed; retrying');
        attempt++;
        await sleep(base * 2 ** attempt);
      }
    }
  }

  private applyOnce(message: InboxMessage<E>): Promise<'applied' | 'duplicate'> {
    const { id, type } = this.options.identify(message.event);
    const { name } = this.options;
    return this.options.store.transaction(
      { lockStreams: this.options.streamsOf(message.event) },
      async (tx) => {
        // Check first and record last: the handler may still lock streams (tx.lockStreams),
        // which must happen before this transaction's first write.
        const seen = await tx.query('SELECT 1 FROM es_inbox WHERE consumer = $1 AND event_id = $2', [
          name,
          id,
        ]);
        if (seen.rows.length > 0) return 'duplicate';
        await this.options.handle(message.event, tx, message);
        const inserted = await tx.query(
          `INSERT INTO es_inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [name, id, type, message.topic, message.partition, message.offset],
        );
        // Another consumer applied the same event meanwhile (a rebalance): undo ours, retry as a duplicate.
        if (inserted.rowCount === 0) throw new DuplicateRaceError(name, id);
        return 'applied';
      },
    );
  }

  private async deadLetter(
    where: { topic: string; partition: number },
    message: KafkaMessage,
    error: unknown,
    attempts: number,
  ) {
    const { topic, partition } = where;
    const { err } = errorFields(error);
    this.options.logger.error({ ...where, attempts, err }, 'record dead-lettered');
    await this.options.dlqProducer.send({
      topic: dlqTopicOf(topic),
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...(message.headers ?? {}),
            'dlq-consumer': this.options.name,
            'dlq-original-topic': topic,
            'dlq-original-partition': String(partition),
            'dlq-original-offset': message.offset,
            'dlq-attempts': String(attempts),
            'dlq-error-name': err.name,
            'dlq-error-message': err.message.slice(0, 2000),
            'dlq-failed-at': new Date().toISOString(),
          },
        },
      ],
    });
  }
}
