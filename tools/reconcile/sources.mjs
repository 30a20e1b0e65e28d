// What the reconciliation reads: the public topics (with a throwaway consumer group) and, read-only,
// the tables of each service's own database that say how far a purchase got there.
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import pg from 'pg';

const { Kafka, logLevel } = kafkajs;

/** @param {string} brokers */
function client(brokers) {
  return new Kafka({ clientId: 'reconcile', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/**
 * @typedef {{ id: string, type: string, subject?: string, time?: string, data: any }} TopicEvent
 */

/**
 * Every record of `topics` from the beginning up to the end offsets taken when it starts, parsed as
 * CloudEvents (a record that does not parse is returned as `unreadable`). A consumer group of its own
 * that commits nothing and is deleted afterwards.
 * @param {string} brokers @param {string[]} topics
 * @returns {Promise<{ events: Map<string, TopicEvent[]>, unreadable: { topic: string, partition: number, offset: string }[] }>}
 */
export async function readTopics(brokers, topics) {
  const kafka = client(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `reconcile-${randomUUID()}`;
  /** @type {Map<string, TopicEvent[]>} */
  const events = new Map(topics.map((topic) => [topic, []]));
  /** @type {{ topic: string, partition: number, offset: string }[]} */
  const unreadable = [];
  try {
    /** @type {Map<string, Map<number, number>>} topic => partition => offset to reach */
    const ends = new Map();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(
        topic,
        new Map(
          offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]),
        ),
      );
    }
    const remaining = () => [...ends.values()].reduce((sum, partitions) => sum + partitions.size, 0);
    if (remaining() > 0) {
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics, fromBeginning: true });
        await new Promise((done, fail) => {
          consumer
            .run({
              autoCommit: false,
              eachBatch: async ({ batch }) => {
                const list = /** @type {TopicEvent[]} */ (events.get(batch.topic));
                const end = ends.get(batch.topic)?.get(batch.partition);
                for (const message of batch.messages) {
                  if (end === undefined || Number(message.offset) >= end) continue;
                  try {
                    list.push(JSON.parse(String(message.value)));
                  } catch {
                    unreadable.push({
                      topic: batch.topic,
                      partition: batch.partition,
                      offset: message.offset,
                    });
                  }
                }
                if (end !== undefined && Number(batch.lastOffset()) + 1 >= end) {
                  ends.get(batch.topic)?.delete(batch.partition);
                  if (remaining() === 0) done(undefined);
                }
              },
            })
            .catch(fail);
        });
      } finally {
        await consumer.disconnect();
      }
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
  return { events, unreadable };
}

/**
 * Record counts of every dead-letter topic (`*.dlq`) among `topics` that holds any.
 * @param {string} brokers @param {string[]} topics
 * @returns {Promise<Record<string, number>>}
 */
export async function deadLetters(brokers, topics) {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    /** @type {Record<string, number>} */
    const counts = {};
    for (const topic of topics.filter((name) => name.endsWith('.dlq'))) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const count = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
      if (count > 0) counts[topic] = count;
    }
    return counts;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Runs `read` with a client of one database, read-only.
 * @template T @param {string} url @param {(client: pg.Client) => Promise<T>} read
 */
export async function withReadOnly(url, read) {
  const db = new pg.Client({ connectionString: url, application_name: 'reconcile' });
  await db.connect();
  try {
    await db.query('BEGIN TRANSACTION READ ONLY');
    return await read(db);
  } finally {
    await db.query('ROLLBACK').catch(() => {});
    await db.end();
  }
}

/**
 * The purchase events a producing service holds in its event store, each with whether its forwarder
 * has passed it (its checkpoint `<service>.forwarder` is at or beyond the event).
 * @param {string} url
 * @returns {Promise<{ type: string, eventId: string, recordedAt: string, forwarded: boolean, data: any }[]>}
 */
export function producedPurchaseEvents(url) {
  return withReadOnly(url, async (db) => {
    const { rows } = await db.query(
      `SELECT e.type, e.event_id::text AS "eventId", e.recorded_at AS "recordedAt", e.data,
              COALESCE((e.transaction_id, e.global_position) <= (c.transaction_id, c.global_position), false)
                AS forwarded
         FROM es_events e
         LEFT JOIN es_checkpoints c ON c.name LIKE '%.forwarder'
        WHERE e.type IN ('purchase.recorded.v1', 'purchase.refunded.v1')`,
    );
    return rows.map((row) => ({ ...row, recordedAt: new Date(row.recordedAt).toISOString() }));
  });
}

/**
 * The event ids a service's inbox holds (whichever of its consumer groups took them), and when each
 * was processed.
 * @param {string} url
 * @returns {Promise<Map<string, string>>}
 */
export function inboxOf(url) {
  return withReadOnly(url, async (db) => {
    const { rows } = await db.query(
      'SELECT event_id::text AS id, min(processed_at) AS processed_at FROM es_inbox GROUP BY 1',
    );
    return new Map(rows.map((row) => [row.id, new Date(row.processed_at).toISOString()]));
  });
}

/**
 * The license service's read model: items and licences.
 * @param {string} url
 */
export function licenseReadModel(url) {
  return withReadOnly(url, async (db) => {
    const items = await db.query(
      `SELECT item_id::text AS "itemId", purchase_id::text AS "purchaseId", account_id::text AS "accountId",
              sku, quantity, status, license_id::text AS "licenseId"
         FROM license_items`,
    );
    const licenses = await db.query(
      `SELECT license_id::text AS "licenseId", account_id::text AS "accountId", status, items,
              generated_at AS "generatedAt"
         FROM licenses`,
    );
    return {
      /** @type {{ itemId: string, purchaseId: string, accountId: string, sku: string, quantity: number, status: string, licenseId: string | null }[]} */
      items: items.rows,
      /** @type {{ licenseId: string, accountId: string, status: string, items: { itemId: string, quantity: number }[], generatedAt: Date }[]} */
      licenses: licenses.rows,
    };
  });
}

/**
 * Reseller orders and their status (recorded until the assignment reaches reseller-intake).
 * @param {string} url
 * @returns {Promise<{ purchaseId: string, status: string, recordedAt: string }[]>}
 */
export function resellerOrders(url) {
  return withReadOnly(url, async (db) => {
    const { rows } = await db.query(
      `SELECT purchase_id::text AS "purchaseId", status, recorded_at AS "recordedAt" FROM reseller_orders`,
    );
    return rows.map((row) => ({ ...row, recordedAt: new Date(row.recordedAt).toISOString() }));
  });
}

/**
 * Purchase orders still waiting for the sales desk.
 * @param {string} url
 * @returns {Promise<{ purchaseOrderId: string, poNumber: string, receivedAt: string, dueBy: string }[]>}
 */
export function purchaseOrdersAwaitingReview(url) {
  return withReadOnly(url, async (db) => {
    const { rows } = await db.query(
      `SELECT purchase_order_id::text AS "purchaseOrderId", po_number AS "poNumber",
              received_at AS "receivedAt", due_by AS "dueBy"
         FROM purchase_orders WHERE status = 'received'`,
    );
    return rows.map((row) => ({
      ...row,
      receivedAt: new Date(row.receivedAt).toISOString(),
      dueBy: new Date(row.dueBy).toISOString(),
    }));
  });
}
