import { dlqTopicOf } from '@otl/contracts';
import type { Span } from '@opentelemetry/api';
import {
  endSpan,
  SpanKind,
  startSpan,
  tracingEnabled,
  withCorrelationId,
  withSpanContext,
} from '@otl/platform';
import { KAFKA_CORRELATION_HEADER } from './public-events';
import type { Consumer, Kafka, KafkaMessage, Producer, IHeaders } from 'kafkajs';
import type { EventStore, EventTransaction, Statement } from './event-store';
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
  /**
   * Whether the consumer handles this event. One it does not (a type a producer added later) is
   * recorded in the inbox and skipped, never dead-lettered. Default: every event is handled.
   */
  handles?(event: E): boolean;
  /** Streams the handler will append to (locked before anything is written). */
  streamsOf(event: E): readonly string[];
  /**
   * Applies the event inside the transaction that also records it in the inbox, within the
   * correlation id of the record's header. It may return statements (e.g. from
   * `tx.appendStatement`); they are sent with the inbox row and COMMIT in one round trip.
   */
  handle(
    event: E,
    tx: EventTransaction,
    message: InboxMessage<E>,
  ): Promise<void | readonly (Statement | null)[]>;
  /** Attempts before a failing record goes to the DLQ (database outages do not count). */
  maxAttempts?: number;
  retryBaseMs?: number;
  partitionsConsumedConcurrently?: number;
  /**
   * Records of one partition applied together in one transaction (group commit). A group that
   * fails (say, two records for one new aggregate) is applied again record by record. Default 1.
   */
  groupSize?: number;
  /** Where a new consumer group starts: the whole topic (default) or only new records. */
  fromBeginning?: boolean;
  onProcessed?(outcome: InboxOutcome, message: InboxMessage<E> | undefined): void;
}

/** What became of a record: its effect applied, seen before, recorded without a handler, or parked. */
export type InboxOutcome = 'applied' | 'duplicate' | 'skipped' | 'dead-lettered';

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
      eachBatchAutoResolve: false,
      // Records of a batch are applied in order, one transaction each; the offset is committed
      // after the batch (and every 100 records), since the inbox makes a redelivery harmless.
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const { topic, partition } = batch;
        let uncommitted: string | undefined;
        let count = 0;
        const commit = async () => {
          if (uncommitted === undefined) return;
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(uncommitted) + 1n).toString() }]);
          uncommitted = undefined;
        };
        const groupSize = Math.max(1, this.options.groupSize ?? 1);
        for (let start = 0; start < batch.messages.length; start += groupSize) {
          if (!isRunning() || isStale() || this.stopping) break;
          const group = batch.messages.slice(start, start + groupSize);
          await this.processGroup(topic, partition, group);
          const last = group.at(-1)?.offset;
          if (last === undefined) continue;
          resolveOffset(last);
          uncommitted = last;
          count += group.length;
          if (count >= 100) {
            count = 0;
            await commit();
            await heartbeat();
          }
        }
        await commit();
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

  /** Applies a group of records in one transaction, or one by one when that fails. */
  private async processGroup(topic: string, partition: number, messages: KafkaMessage[]): Promise<void> {
    const parsed: { message: KafkaMessage; inbox: InboxMessage<E> }[] = [];
    for (const message of messages) {
      const inbox = await this.parseRecord(topic, partition, message);
      if (inbox) parsed.push({ message, inbox });
    }
    for (const run of this.disjointRuns(parsed)) {
      if (run.length > 1) {
        try {
          const outcomes = await this.applyTogether(run.map(({ inbox }) => inbox));
          run.forEach(({ inbox }, index) => this.options.onProcessed?.(outcomes[index] ?? 'applied', inbox));
          continue;
        } catch (error) {
          this.options.logger.debug(
            { consumer: this.options.name, topic, partition, records: run.length, ...errorFields(error) },
            'group failed; applying its records one by one',
          );
        }
      }
      for (const { message, inbox } of run) await this.process(message, inbox);
    }
  }

  /**
   * Splits records, in order, into runs whose locked streams do not overlap: a handler cannot see
   * the uncommitted writes of an earlier record of its own transaction, so two records of one
   * aggregate never share one.
   */
  private disjointRuns<R extends { inbox: InboxMessage<E> }>(records: R[]): R[][] {
    const runs: R[][] = [];
    let current: R[] = [];
    let locked = new Set<string>();
    for (const record of records) {
      const streams = this.streamsOf(record.inbox.event);
      if (streams.some((stream) => locked.has(stream))) {
        runs.push(current);
        current = [];
        locked = new Set();
      }
      current.push(record);
      for (const stream of streams) locked.add(stream);
    }
    if (current.length > 0) runs.push(current);
    return runs;
  }

  /** The record as an event, or undefined once it is dead-lettered as unparseable. */
  private async parseRecord(
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): Promise<InboxMessage<E> | undefined> {
    try {
      if (!message.value) throw new Error('record has no value');
      const event = this.options.parse(message.value);
      return { event, topic, partition, offset: message.offset, headers: message.headers ?? {} };
    } catch (error) {
      await this.deadLetter(this.where(topic, partition, message), message, error, 1);
      this.options.onProcessed?.('dead-lettered', undefined);
      return undefined;
    }
  }

  private where(topic: string, partition: number, message: KafkaMessage) {
    // The producer's correlation id travels in the record headers; log it with the record.
    const correlationId = message.headers?.[KAFKA_CORRELATION_HEADER]?.toString();
    return { consumer: this.options.name, topic, partition, offset: message.offset, correlationId };
  }

  private async process(message: KafkaMessage, parsed: InboxMessage<E>): Promise<void> {
    const { logger } = this.options;
    const where = this.where(parsed.topic, parsed.partition, message);
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

  private handles(event: E): boolean {
    return this.options.handles?.(event) ?? true;
  }

  private streamsOf(event: E): readonly string[] {
    return this.handles(event) ? this.options.streamsOf(event) : [];
  }

  private async applyOnce(message: InboxMessage<E>): Promise<Exclude<InboxOutcome, 'dead-lettered'>> {
    const [outcome] = await this.applyTogether([message]);
    if (!outcome) throw new Error('no outcome for the record');
    return outcome;
  }

  /**
   * One transaction: the streams of every record locked (and read) at BEGIN with the inbox check;
   * each new record handled in order; every write, the inbox rows and COMMIT in one round trip.
   * Handlers may still lock streams (tx.lockStreams) since nothing is written before the end. A
   * concurrent duplicate (a rebalance) violates the inbox key and rolls everything back.
   */
  private applyTogether(messages: InboxMessage<E>[]): Promise<Exclude<InboxOutcome, 'dead-lettered'>[]> {
    const { name } = this.options;
    const records = messages.map((message) => ({ message, ...this.options.identify(message.event) }));
    const seen: Statement = {
      text: 'SELECT event_id FROM es_inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])',
      params: [name, `{${records.map(({ id }) => JSON.stringify(id)).join(',')}}`],
    };
    const lockStreams = messages.flatMap((message) => this.streamsOf(message.event));
    return this.options.store.transaction({ lockStreams, prefetch: true, alsoRead: [seen] }, async (tx) => {
      const applied = new Set((tx.alsoRead[0] ?? []).map((row) => String(row['event_id'])));
      const outcomes: Exclude<InboxOutcome, 'dead-lettered'>[] = [];
      const spans: Span[] = [];
      const statements: (Statement | null)[] = [];
      const rows: unknown[][] = [];
      for (const { message, id, type } of records) {
        if (applied.has(id)) {
          outcomes.push('duplicate');
          continue;
        }
        applied.add(id);
        rows.push([name, id, type, message.topic, message.partition, message.offset]);
        if (!this.handles(message.event)) {
          outcomes.push('skipped');
          continue;
        }
        const correlationId = message.headers[KAFKA_CORRELATION_HEADER]?.toString();
        // With tracing on, a CONSUMER span per record, child of the record's `traceparent`; the
        // events the handler appends carry it on.
        const started = this.processSpan(message, id, type);
        if (started) spans.push(started.span);
        const effect = await withSpanContext(started, () =>
          withCorrelationId(correlationId, () => this.options.handle(message.event, tx, message)),
        ).catch((error: unknown) => {
          for (const span of spans.splice(0)) endSpan(span, error);
          throw error;
        });
        statements.push(...(effect ?? []));
        outcomes.push('applied');
      }
      if (rows.length > 0) {
        statements.push({
          text: `INSERT INTO es_inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset)
                 SELECT r->>0, (r->>1)::uuid, r->>2, r->>3, (r->>4)::int, (r->>5)::bigint
                 FROM jsonb_array_elements($1::jsonb) AS r`,
          params: [JSON.stringify(rows)],
        });
      }
      try {
        await tx.commitWith(statements);
      } catch (error) {
        for (const span of spans.splice(0)) endSpan(span, error);
        throw error;
      }
      for (const span of spans.splice(0)) endSpan(span);
      return outcomes;
    });
  }

  private processSpan(message: InboxMessage<E>, eventId: string, type: string) {
    if (!tracingEnabled()) return undefined;
    return startSpan(`process ${message.topic}`, {
      kind: SpanKind.CONSUMER,
      parent: message.headers,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': message.topic,
        'messaging.consumer.group.name': this.options.name,
        'messaging.destination.partition.id': String(message.partition),
        'messaging.kafka.offset': Number(message.offset),
        'messaging.message.id': eventId,
        'cloudevents.event_type': type,
      },
    });
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
