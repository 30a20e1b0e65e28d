import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { ConcurrencyError, EventStoreUsageError } from './errors';
import { advisoryKey, type Sql } from './sql';

export interface EventMetadata {
  /** CloudEvents subject (the Kafka key) when the event is public. */
  subject?: string;
  correlationId?: string;
  causationId?: string;
  [key: string]: unknown;
}

export interface NewEvent<TType extends string = string, TData = unknown> {
  type: TType;
  data: TData;
  eventId?: string;
  schemaVersion?: number;
  metadata?: EventMetadata;
}

export interface StoredEvent<TType extends string = string, TData = unknown> {
  globalPosition: string;
  transactionId: string;
  streamId: string;
  streamPosition: number;
  eventId: string;
  type: TType;
  schemaVersion: number;
  data: TData;
  metadata: EventMetadata;
  recordedAt: Date;
}

export interface StreamSlice {
  /** Position of the last event; 0 for a stream that does not exist yet. */
  version: number;
  events: StoredEvent[];
}

interface EventRow extends QueryResultRow {
  global_position: string;
  transaction_id: string;
  stream_id: string;
  stream_position: string;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

/** Positions come back as text (bigint); ORDER BY must name the table's columns, not these aliases. */
export const EVENT_COLUMNS = `global_position::text, transaction_id::text, stream_id, stream_position::text,
  event_id, type, schema_version, data, metadata, recorded_at`;

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    globalPosition: row.global_position,
    transactionId: row.transaction_id,
    streamId: row.stream_id,
    streamPosition: Number(row.stream_position),
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}

async function readStreamWith(sql: Sql, streamId: string): Promise<StreamSlice> {
  const { rows } = await sql.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM es_events WHERE stream_id = $1 ORDER BY es_events.stream_position`,
    [streamId],
  );
  const events = rows.map(toStoredEvent);
  return { version: events.at(-1)?.streamPosition ?? 0, events };
}

export interface TransactionOptions {
  /** Every stream this transaction may append to. */
  lockStreams: readonly string[];
}

/**
 * Postgres event store. Appends happen inside `transaction()`, which takes a
 * transaction-scoped advisory lock on each stream it will append to as its very
 * first statement, before the transaction has an id. Two writers of one stream
 * therefore get transaction ids in the order they append, so global readers that
 * order by (transaction_id, global_position) see each stream in order.
 */
export class EventStore {
  constructor(private readonly pool: Pool) {}

  readStream(streamId: string): Promise<StreamSlice> {
    return readStreamWith(this.pool, streamId);
  }

  async transaction<T>(options: TransactionOptions, work: (tx: EventTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const locks = [...new Set(options.lockStreams)].map(advisoryKey).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let released = false;
    try {
      // One round trip: BEGIN plus the stream locks (keys are integers, so no injection).
      await client.query(['BEGIN', ...locks.map((key) => `SELECT pg_advisory_xact_lock(${key})`)].join(';'));
      const result = await work(new EventTransaction(client, new Set(options.lockStreams)));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        // The connection is broken; drop it from the pool instead of reusing it.
        client.release(true);
        released = true;
      }
      throw error;
    } finally {
      if (!released) client.release();
    }
  }
}

export class EventTransaction implements Sql {
  constructor(
    private readonly client: PoolClient,
    private readonly lockedStreams: ReadonlySet<string>,
  ) {}

  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]) {
    return this.client.query<R>(text, params);
  }

  readStream(streamId: string): Promise<StreamSlice> {
    return readStreamWith(this.client, streamId);
  }

  /**
   * Appends after `expectedVersion` (0: the stream must not exist yet).
   * Throws ConcurrencyError when another writer got there first.
   */
  async appendToStream(streamId: string, expectedVersion: number, events: readonly NewEvent[]): Promise<StoredEvent[]> {
    if (!this.lockedStreams.has(streamId)) {
      throw new EventStoreUsageError(`stream ${streamId} must be listed in lockStreams before appending`);
    }
    if (events.length === 0) return [];
    const payload = events.map((event) => ({
      eventId: event.eventId ?? randomUUID(),
      type: event.type,
      schemaVersion: event.schemaVersion ?? 1,
      data: event.data,
      metadata: event.metadata ?? {},
    }));
    try {
      const { rows } = await this.client.query<EventRow>(
        `INSERT INTO es_events (stream_id, stream_position, event_id, type, schema_version, data, metadata)
         SELECT $1, $2::bigint + e.ord, (e.v->>'eventId')::uuid, e.v->>'type', (e.v->>'schemaVersion')::int,
                e.v->'data', e.v->'metadata'
         FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(v, ord)
         RETURNING ${EVENT_COLUMNS}`,
        [streamId, expectedVersion, JSON.stringify(payload)],
      );
      return rows.map(toStoredEvent).sort((a, b) => a.streamPosition - b.streamPosition);
    } catch (error) {
      const pgError = error as { code?: string; constraint?: string };
      if (pgError.code === '23505' && pgError.constraint === 'es_events_pkey') {
        throw new ConcurrencyError(streamId, expectedVersion);
      }
      throw error;
    }
  }
}

/** Runs `attempt` again when it lost an optimistic-concurrency race (bounded). */
export async function retryOnConcurrencyError<T>(attempt: () => Promise<T>, maxAttempts = 5): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || tries >= maxAttempts) throw error;
    }
  }
}
