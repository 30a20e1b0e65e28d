import type { Pool, PoolClient } from 'pg';
import { evolveItem, initialItemState, type ItemEvent, type ItemState } from '../items/domain/item';
import { evolveLicense, initialLicenseState, type LicenseEvent, type LicenseState } from './domain/license';
import {
  itemRow,
  licenseRow,
  upsertItems,
  upsertLicenses,
  type ItemRow,
  type LicenseRow,
} from './read-model';

const LICENSE_STREAM = /^license-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the fold needs of an event: evolve reads only its type and data. */
interface LogRow {
  stream_id: string;
  type: string;
  data: unknown;
}

/** The stream being folded: its events arrive together, in stream order. */
type OpenStream =
  | { kind: 'item'; streamId: string; state: ItemState }
  | { kind: 'license'; streamId: string; state: LicenseState }
  | { kind: 'other'; streamId: string };

function open(streamId: string): OpenStream {
  if (streamId.startsWith('license-item-')) return { kind: 'item', streamId, state: initialItemState };
  if (LICENSE_STREAM.test(streamId)) return { kind: 'license', streamId, state: initialLicenseState };
  return { kind: 'other', streamId };
}

export interface RebuildOptions {
  /** Events fetched per round trip; memory is bounded by it, not by the length of the log. */
  batchSize?: number;
}

/**
 * Rebuilds the portal's read models (license_items, licenses) from the event log, in one
 * transaction, so readers see the old rows or the new ones, never a mix. Licence keys are state of
 * record and are left alone.
 *
 * The log is read through a cursor in stream order (the primary key), so each stream's events
 * arrive together: a stream is folded, its row written with the next batch, and forgotten. Memory
 * stays at one batch whatever the length of the log. The tables are locked before the transaction
 * takes its snapshot: a live transaction that writes read-model rows has either committed (its
 * events are in the snapshot) or waits until the rebuild commits and then writes its rows on top,
 * so no event is lost between the read and the write. Readers and writers of the read models wait
 * for the rebuild.
 */
export async function rebuildReadModels(
  pool: Pool,
  { batchSize = 10_000 }: RebuildOptions = {},
): Promise<{ events: number; items: number; licenses: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await client.query('LOCK TABLE license_items, licenses IN ACCESS EXCLUSIVE MODE');
    await client.query('TRUNCATE license_items, licenses');
    await client.query(
      `DECLARE license_log NO SCROLL CURSOR FOR
         SELECT stream_id, type, data FROM es_events
          WHERE stream_id LIKE 'license-%' AND stream_id NOT LIKE 'license-purchase-%'
          ORDER BY stream_id, stream_position`,
    );
    const result = await fold(client, batchSize);
    await client.query('CLOSE license_log');
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function fold(
  client: PoolClient,
  batchSize: number,
): Promise<{ events: number; items: number; licenses: number }> {
  const totals = { events: 0, items: 0, licenses: 0 };
  let itemRows: ItemRow[] = [];
  let licenseRows: LicenseRow[] = [];
  const close = (stream: OpenStream) => {
    if (stream.kind === 'item') {
      const row = itemRow(stream.state);
      if (row) itemRows.push(row);
    } else if (stream.kind === 'license') {
      const row = licenseRow(stream.state);
      if (row) licenseRows.push(row);
    }
  };
  const flush = async () => {
    const items = upsertItems(itemRows);
    if (items) await client.query(items.text, items.params);
    const licenses = upsertLicenses(licenseRows);
    if (licenses) await client.query(licenses.text, licenses.params);
    totals.items += itemRows.length;
    totals.licenses += licenseRows.length;
    itemRows = [];
    licenseRows = [];
  };
  const fetchBatch = () => {
    const batch = client.query<LogRow>(`FETCH ${batchSize} FROM license_log`);
    batch.catch(() => undefined); // awaited below; a failure meanwhile must not go unhandled
    return batch;
  };
  let current: OpenStream | undefined;
  // The next batch is asked for before this one is folded, so Postgres reads it meanwhile.
  for (let next = fetchBatch(); ;) {
    const { rows } = await next;
    const last = rows.length < batchSize;
    if (!last) next = fetchBatch();
    for (const row of rows) {
      if (current?.streamId !== row.stream_id) {
        if (current) close(current);
        current = open(row.stream_id);
      }
      const event = { type: row.type, data: row.data };
      if (current.kind === 'item') current.state = evolveItem(current.state, event as ItemEvent);
      else if (current.kind === 'license')
        current.state = evolveLicense(current.state, event as LicenseEvent);
    }
    totals.events += rows.length;
    if (last) break;
    // The last stream of the batch may go on in the next one: it stays open.
    await flush();
  }
  if (current) close(current);
  await flush();
  return totals;
}
