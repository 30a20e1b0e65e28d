import type { Pool } from 'pg';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from '@otl/event-store';
import { evolveItem, initialItemState, type ItemEvent, type ItemState } from '../items/domain/item';
import { evolveLicense, initialLicenseState, type LicenseEvent, type LicenseState } from './domain/license';
import { itemRow, licenseRow, upsertItems, upsertLicenses } from './read-model';

const BATCH = 10_000;
const LICENSE_STREAM = /^license-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Rebuilds the portal's read models (license_items, licenses) from the event log: folds every item
 * and licence stream, then replaces the tables in one transaction, so readers see the old rows or
 * the new ones, never a mix. Licence keys are state of record and are left alone.
 */
export async function rebuildReadModels(
  pool: Pool,
): Promise<{ events: number; items: number; licenses: number }> {
  const items = new Map<string, ItemState>();
  const licenses = new Map<string, LicenseState>();
  let events = 0;
  for (let after = '0'; ;) {
    const { rows } = await pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events
        WHERE es_events.global_position > $1::bigint AND stream_id LIKE 'license-%' AND stream_id NOT LIKE 'license-purchase-%'
        ORDER BY es_events.global_position LIMIT ${BATCH}`,
      [after],
    );
    for (const row of rows) {
      const event = toStoredEvent(row);
      if (event.streamId.startsWith('license-item-')) {
        const state = items.get(event.streamId) ?? initialItemState;
        items.set(event.streamId, evolveItem(state, event as unknown as ItemEvent));
      } else if (LICENSE_STREAM.test(event.streamId)) {
        const state = licenses.get(event.streamId) ?? initialLicenseState;
        licenses.set(event.streamId, evolveLicense(state, event as unknown as LicenseEvent));
      }
    }
    events += rows.length;
    const last = rows.at(-1);
    if (!last || rows.length < BATCH) break;
    after = last.global_position;
  }
  const itemRows = [...items.values()].flatMap((state) => itemRow(state) ?? []);
  const licenseRows = [...licenses.values()].flatMap((state) => licenseRow(state) ?? []);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('TRUNCATE license_items, licenses');
    for (let i = 0; i < itemRows.length; i += BATCH) {
      const statement = upsertItems(itemRows.slice(i, i + BATCH));
      if (statement) await client.query(statement.text, statement.params);
    }
    for (let i = 0; i < licenseRows.length; i += BATCH) {
      const statement = upsertLicenses(licenseRows.slice(i, i + BATCH));
      if (statement) await client.query(statement.text, statement.params);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return { events, items: itemRows.length, licenses: licenseRows.length };
}
