import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { ContractViolationError, isPublicEventType, validateEventData } from '@otl/contracts';
import { traceMetadata } from '@otl/platform';
import { ConcurrencyError, EventStoreUsageError } from './errors';
import { advisoryKey, type Sql } from './sql';

export interface EventMetadata {
  /** CloudEvents subject (the Kafka key) when the event is public. */
  subject?: string;
  correlationId?: string;
  causationId?: string;
  /** W3C Trace Context of the span that appended it (only while tracing is on). */
  traceparent?: string;
  tracestate?: string;
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

export interface EventRow extends QueryResultRow {
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

function toSlice(rows: EventRow[]): StreamSlice {
  const events = rows.map(toStoredEvent);
  return { version: events.at(-1)?.streamPosition ?? 0, events };
}

const readStreamStatement = (streamId: string): Statement => ({
  text: `SELECT ${EVENT_COLUMNS} FROM es_events WHERE stream_id = $1 ORDER BY es_events.stream_position`,
  params: [streamId],
});

async function readStreamWith(sql: Sql, streamId: string): Promise<StreamSlice> {
  const { text, params } = readStreamStatement(streamId);
  return toSlice((await sql.query<EventRow>(text, params)).rows);
}

export interface TransactionOptions {
  /** Every stream this transaction may append to. */
  lockStreams: readonly string[];
  /** Also read the locked streams in the same round trip as BEGIN (see EventTransaction.readStream). */
  prefetch?: boolean;
  /** Further reads to run in that round trip, after the locks; their rows are `tx.alsoRead`. */
  alsoRead?: readonly Statement[];
}

export interface EventStoreOptions {
  /** Called after a transaction that appended events has committed (e.g. to wake the forwarder). */
  onAppended?(): void;
}

/**
 * Postgres event store. Appends happen inside `transaction()`, which takes a
 * transaction-scoped advisory lock on each stream it will append to as its very
 * first statement, before the transaction has an id. Two writers of one stream
 * therefore get transaction ids in the order they append, so global readers that
 * order by (transaction_id, global_position) see each stream in order.
 */
export class EventStore {
  constructor(
    private readonly pool: Pool,
    private readonly options: EventStoreOptions = {},
  ) {}

  readStream(streamId: string): Promise<StreamSlice> {
    return readStreamWith(this.pool, streamId);
  }

  /**
   * Appends after `expectedVersion` (0: the stream must not exist yet) in a transaction of its
   * own, sent as one round trip: BEGIN, the stream's lock, the append guarded by the stream's
   * current version, COMMIT. The lock is held only while the server runs these, never across a
   * round trip to this process, so a writer that lost a race frees the stream at once. Throws
   * ConcurrencyError when the stream is not at `expectedVersion`; nothing is stored then.
   * For appends that need no read under the lock (the caller knows the version it decided on).
   */
  async appendToStream(
    streamId: string,
    expectedVersion: number,
    events: readonly NewEvent[],
  ): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const append = appendOf(streamId, expectedVersion, events, { guarded: true });
    const client = await this.pool.connect();
    let broken = false;
    try {
      const text = ['BEGIN', ...lockStatements([streamId]), inline(append, client), 'COMMIT'].join(';\n');
      const results = (await client.query(text)) as unknown as { rows: EventRow[] }[];
      const rows = results[results.length - 2]?.rows ?? [];
      if (rows.length === 0) throw new ConcurrencyError(streamId, expectedVersion);
      this.options.onAppended?.();
      return rows.map(toStoredEvent).sort((a, b) => a.streamPosition - b.streamPosition);
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) {
        // A failed statement leaves the transaction open and aborted (COMMIT was skipped).
        await client.query('ROLLBACK').catch(() => (broken = true));
      }
      throw asConcurrencyError(error, streamId, expectedVersion);
    } finally {
      client.release(broken);
    }
  }

  async transaction<T>(options: TransactionOptions, work: (tx: EventTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let released = false;
    try {
      // One round trip: BEGIN, the stream locks (integer keys) and, if asked, the locked
      // streams themselves (ids escaped by the driver), after the locks are held.
      const streams = options.prefetch ? [...new Set(options.lockStreams)] : [];
      const reads = options.alsoRead ?? [];
      const statements = [
        'BEGIN',
        ...lockStatements(options.lockStreams),
        ...streams.map((id) => inline(readStreamStatement(id), client)),
        ...reads.map((read) => inline(read, client)),
      ];
      const results = await client.query(statements.join(';\n'));
      const all = (Array.isArray(results) ? results : [results]) as unknown as { rows: EventRow[] }[];
      const fetched = all.slice(all.length - streams.length - reads.length);
      const prefetched = new Map(
        streams.map((id, index) => [id, toSlice(fetched[index]?.rows ?? [])] as const),
      );
      const tx = new EventTransaction(client, new Set(options.lockStreams), prefetched);
      tx.alsoRead = fetched.slice(streams.length).map((result) => result.rows);
      const result = await work(tx);
      if (!tx.committed) await client.query('COMMIT');
      if (tx.appended) this.options.onAppended?.();
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
  /** Whether this transaction appended any event. */
  appended = false;
  /** Set once `commitWith` committed; `transaction()` then sends no COMMIT of its own. */
  committed = false;
  /** Rows of the `alsoRead` statements, in order. */
  alsoRead: QueryResultRow[][] = [];
  /** Whether an append was sent (appendToStream); statements for commitWith are not sent until COMMIT. */
  private sentAppend = false;

  constructor(
    private readonly client: PoolClient,
    private readonly lockedStreams: Set<string>,
    private readonly prefetched: Map<string, StreamSlice> = new Map(),
  ) {}

  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]) {
    return this.client.query<R>(text, params);
  }

  /**
   * Locks more streams, for a transaction that learns from its reads which streams it will
   * write (an email claim names its account). Allowed only before the transaction has sent an
   * append, so it still has no transaction id and its appends keep stream order; appends prepared
   * for commitWith are sent with COMMIT, so a group of handlers may each lock in turn. Callers
   * that lock in two steps must always do so in the same order, or they may deadlock.
   */
  async lockStreams(streamIds: readonly string[], options: { read?: readonly string[] } = {}): Promise<void> {
    if (this.sentAppend) {
      throw new EventStoreUsageError('lockStreams must be called before the transaction appends');
    }
    const fresh = [...new Set(streamIds)].filter((id) => !this.lockedStreams.has(id));
    // Streams named in `read` are read in the same round trip, once the locks are held.
    const reads = [...new Set(options.read ?? [])];
    const statements = [
      ...lockStatements(fresh),
      ...reads.map((id) => inline(readStreamStatement(id), this.client)),
    ];
    if (statements.length === 0) return;
    const results = await this.client.query(statements.join(';\n'));
    const all = (Array.isArray(results) ? results : [results]) as unknown as { rows: EventRow[] }[];
    const fetched = all.slice(all.length - reads.length);
    reads.forEach((id, index) => this.prefetched.set(id, toSlice(fetched[index]?.rows ?? [])));
    for (const id of fresh) this.lockedStreams.add(id);
  }

  /** A prefetched stream is read at BEGIN under its lock, so it is current until this transaction appends. */
  readStream(streamId: string): Promise<StreamSlice> {
    const prefetched = this.prefetched.get(streamId);
    return prefetched ? Promise.resolve(prefetched) : readStreamWith(this.client, streamId);
  }

  /**
   * Appends after `expectedVersion` (0: the stream must not exist yet).
   * Throws ConcurrencyError when another writer got there first.
   */
  async appendToStream(
    streamId: string,
    expectedVersion: number,
    events: readonly NewEvent[],
  ): Promise<StoredEvent[]> {
    const statement = this.appendStatement(streamId, expectedVersion, events);
    if (!statement) return [];
    this.sentAppend = true;
    try {
      const { rows } = await this.client.query<EventRow>(statement.text, statement.params);
      return rows.map(toStoredEvent).sort((a, b) => a.streamPosition - b.streamPosition);
    } catch (error) {
      throw asConcurrencyError(error, streamId, expectedVersion);
    }
  }

  /**
   * Sends the given statements and COMMIT in one round trip (parameters are inlined as
   * literals escaped by the driver), for hot paths where round trips dominate. An append
   * among them (from `appendStatement`) that lost a race throws ConcurrencyError; nothing
   * is committed then.
   */
  async commitWith(statements: readonly (Statement | null)[]): Promise<{ rows: QueryResultRow[] }[]> {
    const sendable = statements.filter((statement): statement is Statement => statement !== null);
    const text = [...sendable.map((statement) => inline(statement, this.client)), 'COMMIT'].join(';\n');
    try {
      const results = (await this.client.query(text)) as unknown as
        { rows: QueryResultRow[] }[] | { rows: QueryResultRow[] };
      this.committed = true;
      return Array.isArray(results) ? results.slice(0, sendable.length) : [];
    } catch (error) {
      const append = sendable.find((statement) => statement.append)?.append;
      throw append ? asConcurrencyError(error, append.streamId, append.expectedVersion) : error;
    }
  }

  /** The append as a statement for `commitWith`; null when there is nothing to append. */
  appendStatement(streamId: string, expectedVersion: number, events: readonly NewEvent[]): Statement | null {
    if (!this.lockedStreams.has(streamId)) {
      throw new EventStoreUsageError(`stream ${streamId} must be listed in lockStreams before appending`);
    }
    if (events.length === 0) return null;
    const statement = appendOf(streamId, expectedVersion, events);
    this.prefetched.delete(streamId);
    this.appended = true;
    return statement;
  }
}

export interface Statement {
  text: string;
  params: unknown[];
  /** Set on appends, to report a lost race as ConcurrencyError. */
  append?: { streamId: string; expectedVersion: number };
}

/**
 * The INSERT of `events` after `expectedVersion`. Unguarded, a lost race fails on the primary key
 * (and aborts the transaction); `guarded`, the INSERT also checks the stream's last position and
 * then inserts no row instead, which only callers holding the stream's lock may rely on.
 */
function appendOf(
  streamId: string,
  expectedVersion: number,
  events: readonly NewEvent[],
  { guarded = false }: { guarded?: boolean } = {},
): Statement {
  // An event of the public contract that breaks its schema is never stored (every service relies on it).
  for (const event of events) {
    if (!isPublicEventType(event.type)) continue;
    const check = validateEventData(event.type, event.data);
    if (!check.ok)
      throw new ContractViolationError('invalid-data', [`${event.type}: ${check.errors.join('; ')}`]);
  }
  const payload = events.map((event) => ({
    eventId: event.eventId ?? randomUUID(),
    type: event.type,
    schemaVersion: event.schemaVersion ?? 1,
    data: event.data,
    // The trace of the request or record that appends it, unless the caller names one itself.
    metadata: { ...traceMetadata(), ...event.metadata },
  }));
  // "The stream's last position is the expected one" as index probes: max(stream_position) would
  // cost the planner about twice as much (measured: ~200 µs against ~90 µs of planning).
  const beyond = `NOT EXISTS (SELECT FROM es_events WHERE stream_id = $1 AND stream_position > $2::bigint)`;
  const at = `EXISTS (SELECT FROM es_events WHERE stream_id = $1 AND stream_position = $2::bigint)`;
  const guard = !guarded
    ? ''
    : expectedVersion === 0
      ? `\n       WHERE ${beyond}`
      : `\n       WHERE ${at} AND ${beyond}`;
  return {
    text: `INSERT INTO es_events (stream_id, stream_position, event_id, type, schema_version, data, metadata)
       SELECT $1, $2::bigint + e.ord, (e.v->>'eventId')::uuid, e.v->>'type', (e.v->>'schemaVersion')::int,
              e.v->'data', e.v->'metadata'
       FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(v, ord)${guard}
       RETURNING ${EVENT_COLUMNS}`,
    params: [streamId, expectedVersion, JSON.stringify(payload)],
    append: { streamId, expectedVersion },
  };
}

function asConcurrencyError(error: unknown, streamId: string, expectedVersion: number): unknown {
  const pgError = error as { code?: string; constraint?: string };
  return pgError.code === '23505' && pgError.constraint === 'es_events_pkey'
    ? new ConcurrencyError(streamId, expectedVersion)
    : error;
}

/** Advisory-lock statements for streams, in key order so concurrent lockers never deadlock. */
function lockStatements(streamIds: readonly string[]): string[] {
  return [...new Set(streamIds)]
    .map(advisoryKey)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `SELECT pg_advisory_xact_lock(${key})`);
}

/** Replaces $n placeholders with literals escaped by the driver (texts here are our own SQL). */
function inline(statement: Statement, client: PoolClient): string {
  return statement.text.replace(/\$(\d+)/g, (_, index: string) => {
    const value = statement.params[Number(index) - 1];
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
    if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
    return client.escapeLiteral(typeof value === 'string' ? value : JSON.stringify(value));
  });
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
