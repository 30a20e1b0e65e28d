import type { QueryResultRow } from 'pg';
import { EVENT_COLUMNS, toStoredEvent, type EventRow, type StoredEvent } from './event-store';
import type { Sql } from './sql';

/** A position in the global log: events are ordered by (transactionId, globalPosition). */
export interface Checkpoint {
  transactionId: string;
  globalPosition: string;
}

export const LOG_START: Checkpoint = { transactionId: '0', globalPosition: '0' };

/**
 * Reads committed events after `after`, never past a transaction that is still running:
 * an event becomes readable only once every older transaction has finished, so a
 * late-committing transaction is read late, never skipped (no gap detection needed).
 */
export async function readGlobalLog(sql: Sql, after: Checkpoint, limit: number): Promise<StoredEvent[]> {
  const { rows } = await sql.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM es_events
     WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
       AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY es_events.transaction_id, es_events.global_position
     LIMIT $3`,
    [after.transactionId, after.globalPosition, limit],
  );
  return rows.map(toStoredEvent);
}

/**
 * Whether committed events after `after` exist at all, readable or not: when `readGlobalLog` finds
 * none but this finds some, they are held back by an older transaction that is still running.
 */
export async function hasEventsAfter(sql: Sql, after: Checkpoint): Promise<boolean> {
  const { rows } = await sql.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM es_events
       WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)) AS found`,
    [after.transactionId, after.globalPosition],
  );
  return rows[0]?.found ?? false;
}

export function checkpointOf(event: StoredEvent): Checkpoint {
  return { transactionId: event.transactionId, globalPosition: event.globalPosition };
}

interface CheckpointRow extends QueryResultRow {
  transaction_id: string;
  global_position: string;
}

export async function loadCheckpoint(sql: Sql, name: string): Promise<Checkpoint> {
  const { rows } = await sql.query<CheckpointRow>(
    `SELECT transaction_id::text, global_position::text FROM es_checkpoints WHERE name = $1`,
    [name],
  );
  const row = rows[0];
  return row ? { transactionId: row.transaction_id, globalPosition: row.global_position } : LOG_START;
}

export async function saveCheckpoint(sql: Sql, name: string, checkpoint: Checkpoint): Promise<void> {
  await sql.query(
    `INSERT INTO es_checkpoints (name, transaction_id, global_position, updated_at)
     VALUES ($1, $2::xid8, $3::bigint, now())
     ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id,
       global_position = EXCLUDED.global_position, updated_at = now()`,
    [name, checkpoint.transactionId, checkpoint.globalPosition],
  );
}

/** Seconds since the oldest event the named reader has not yet processed (0 when caught up). */
export async function readerLagSeconds(sql: Sql, name: string): Promise<number> {
  const { rows } = await sql.query<{ lag: string | null }>(
    `SELECT extract(epoch FROM now() - min(e.recorded_at))::text AS lag
     FROM es_events e
     LEFT JOIN es_checkpoints c ON c.name = $1
     WHERE (e.transaction_id, e.global_position) >
           (coalesce(c.transaction_id, '0'::xid8), coalesce(c.global_position, 0))`,
    [name],
  );
  return Math.max(0, Number(rows[0]?.lag ?? 0));
}
