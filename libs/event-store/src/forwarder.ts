import type { Producer, IHeaders } from 'kafkajs';
import type { Span } from '@opentelemetry/api';
import { carrierOf, endSpan, SpanKind, startSpan, tracingEnabled } from '@otl/platform';
import type { Pool, PoolClient } from 'pg';
import type { StoredEvent } from './event-store';
import { checkpointOf, hasEventsAfter, loadCheckpoint, readGlobalLog, saveCheckpoint } from './global-log';
import { errorFields, sleep, type Logger } from './logger';
import { advisoryKey, type Sql } from './sql';

/** Writers in other processes NOTIFY this channel after committing events. */
export const APPENDED_CHANNEL = 'es_events_appended';

/**
 * Wakes the active forwarder, wherever it runs, after events were committed outside a service
 * (say, by an operator command). Outside the writing transaction: see `EventPublisher.notifyAppended`.
 */
export async function announceAppended(sql: Sql): Promise<void> {
  await sql.query(`SELECT pg_notify('${APPENDED_CHANNEL}', '')`);
}

const MAX_HELD_BACK_WAIT_MS = 1000;

/** What one stored event becomes on Kafka; `null` keeps the event internal. */
export interface KafkaRecord {
  topic: string;
  key: string;
  value: string;
  headers?: IHeaders;
}

export interface ForwarderOptions {
  /** Names the checkpoint and the advisory lock; one active forwarder per name. */
  name: string;
  pool: Pool;
  /** An idempotent producer (`idempotent: true`), already connected. */
  producer: Producer;
  route(event: StoredEvent): KafkaRecord | null;
  logger: Logger;
  batchSize?: number;
  /**
   * Fallback when no wake-up arrives (a writer in another process crashed before notifying). Every
   * writer wakes the forwarder after its commit, so an idle forwarder sleeps this long. Default 30 s.
   */
  pollIntervalMs?: number;
  /**
   * First delay before reading again when committed events are held back by an older transaction
   * still running (the global-log rule); it doubles up to 1 s while they stay held back. Whoever
   * holds them back need not append or notify (any writing transaction in the cluster counts),
   * so the forwarder looks again by itself. Default 10 ms.
   */
  heldBackRetryMs?: number;
  /** How often a standby instance tries to become the active one. */
  standbyRetryMs?: number;
  /**
   * After a batch that was not full, wait this long before reading again, so that events
   * arriving meanwhile go out in one produce request (like a producer's linger.ms). Fewer,
   * larger batches cost Kafka and Postgres far less CPU per event at the price of a few ms.
   */
  lingerMs?: number;
  onPublished?(events: readonly StoredEvent[], records: number): void;
  /** Another process NOTIFYed that it committed events (heard while this forwarder is active). */
  onNotified?(): void;
}

/**
 * Publishes every event appended to the store to Kafka, in log order, at least once.
 * The checkpoint is saved only after Kafka acknowledged the batch (acks=-1), so a crash
 * between commit and publish means the events are published after restart.
 */
export class Forwarder {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private pendingWake = false;
  private active = false;

  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly heldBackRetryMs: number;
  private readonly standbyRetryMs: number;
  private readonly lingerMs: number;

  constructor(private readonly options: ForwarderOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 30_000;
    this.heldBackRetryMs = options.heldBackRetryMs ?? 10;
    this.standbyRetryMs = options.standbyRetryMs ?? 2000;
    this.lingerMs = options.lingerMs ?? 10;
  }

  get isActive(): boolean {
    return this.active;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Finishes the batch in flight, releases the lock and returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.notify();
    await this.loop;
  }

  /** Look for new events now (called after a local commit, or on NOTIFY from another instance). */
  notify(): void {
    this.pendingWake = true;
    this.wake?.();
  }

  private async idle(ms: number): Promise<void> {
    if (this.pendingWake || this.stopping) {
      this.pendingWake = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
    this.pendingWake = false;
  }

  private async run(): Promise<void> {
    const { logger, name } = this.options;
    while (!this.stopping) {
      let client: PoolClient | undefined;
      try {
        client = await this.options.pool.connect();
        const lock = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1::bigint) AS locked',
          [advisoryKey(`forwarder:${name}`).toString()],
        );
        if (!lock.rows[0]?.locked) {
          client.release();
          client = undefined;
          await this.idle(this.standbyRetryMs);
          continue;
        }
        // A checked-out client that loses its server emits 'error'; unhandled, that would
        // crash the process. Log it and wake the loop, whose next query then fails over.
        client.on('error', (error) => {
          logger.warn({ forwarder: name, ...errorFields(error) }, 'forwarder database session lost');
          this.notify();
        });
        client.on('notification', () => {
          this.notify();
          this.options.onNotified?.();
        });
        await client.query(`LISTEN ${APPENDED_CHANNEL}`);
        this.active = true;
        logger.info({ forwarder: name }, 'forwarder active');
        await this.forwardUntilStopped(client);
      } catch (error) {
        logger.error(
          { forwarder: name, ...errorFields(error) },
          'forwarder lost its database session; retrying',
        );
        await sleep(1000);
      } finally {
        this.active = false;
        // Always discard the session: it holds the lock and a LISTEN.
        client?.release(true);
      }
    }
  }

  private async forwardUntilStopped(client: PoolClient): Promise<void> {
    const { name, logger } = this.options;
    let checkpoint = await loadCheckpoint(client, name);
    logger.info({ forwarder: name, checkpoint }, 'forwarding from checkpoint');
    let publishFailures = 0;
    let heldBackWait = 0;
    while (!this.stopping) {
      const batch = await readGlobalLog(client, checkpoint, this.batchSize);
      if (batch.length === 0) {
        if (await hasEventsAfter(client, checkpoint)) {
          heldBackWait = Math.min(heldBackWait * 2 || this.heldBackRetryMs, MAX_HELD_BACK_WAIT_MS);
          await this.idle(heldBackWait);
        } else {
          heldBackWait = 0;
          await this.idle(this.pollIntervalMs);
        }
        continue;
      }
      heldBackWait = 0;
      try {
        await this.publish(batch);
        publishFailures = 0;
      } catch (error) {
        publishFailures++;
        logger.error(
          { forwarder: name, ...errorFields(error), attempt: publishFailures },
          'publishing to Kafka failed',
        );
        await sleep(Math.min(200 * 2 ** publishFailures, 10_000));
        continue;
      }
      checkpoint = checkpointOf(batch[batch.length - 1] as StoredEvent);
      await saveCheckpoint(client, name, checkpoint);
      logger.debug({ forwarder: name, events: batch.length, checkpoint }, 'forwarded batch');
      if (batch.length < this.batchSize && this.lingerMs > 0 && !this.stopping) await sleep(this.lingerMs);
    }
  }

  private async publish(batch: readonly StoredEvent[]): Promise<void> {
    const byTopic = new Map<string, KafkaRecord[]>();
    for (const event of batch) {
      const record = this.options.route(event);
      if (!record) continue;
      const records = byTopic.get(record.topic) ?? [];
      records.push(record);
      byTopic.set(record.topic, records);
    }
    const count = [...byTopic.values()].reduce((sum, records) => sum + records.length, 0);
    const spans = publishSpans(this.options.name, byTopic);
    if (count > 0) {
      try {
        await this.options.producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, records]) => ({
            topic,
            messages: records.map(({ key, value, headers }) => ({ key, value, headers })),
          })),
        });
      } catch (error) {
        for (const span of spans) endSpan(span, error);
        throw error;
      }
    }
    for (const span of spans) endSpan(span);
    this.options.onPublished?.(batch, count);
  }
}

/**
 * With tracing on, a PRODUCER span per traced record, child of the span that appended its event; the
 * record then carries this span as its `traceparent`, so the consumer's span follows the publish.
 */
function publishSpans(forwarder: string, byTopic: Map<string, KafkaRecord[]>): Span[] {
  if (!tracingEnabled()) return [];
  const spans: Span[] = [];
  for (const [topic, records] of byTopic) {
    for (const record of records) {
      if (!record.headers?.['traceparent']) continue;
      const started = startSpan(`send ${topic}`, {
        kind: SpanKind.PRODUCER,
        parent: record.headers,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': topic,
          'messaging.kafka.message.key': record.key,
          'messaging.message.id': String(record.headers['ce-id'] ?? ''),
          'otl.forwarder': forwarder,
        },
      });
      if (!started) continue;
      record.headers = { ...record.headers, ...carrierOf(started.context) };
      spans.push(started.span);
    }
  }
  return spans;
}
