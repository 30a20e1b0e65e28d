// Gathers a snapshot from every service's database and the topics (sources.mjs), compares it
// (compare.mjs) and prints the operator's report. `npm run reconcile` (cli.mjs) and the fault suite
// (tools/chaos) both call `reconcilePlatform`.
import { allTopics, services } from '../stack/services.mjs';
import { reconcile, STAGES } from './compare.mjs';
import {
  deadLetters,
  inboxOf,
  licenseReadModel,
  producedPurchaseEvents,
  purchaseOrdersAwaitingReview,
  readTopics,
  resellerOrders,
} from './sources.mjs';

/** @param {string} name */
function serviceNamed(name) {
  const service = services.find((candidate) => candidate.name === name);
  if (!service) throw new Error(`tools/stack/services.mjs lists no ${name}`);
  return service;
}

/**
 * @param {{ databaseUrl: (database: string) => string, brokers: string }} where
 * @returns {Promise<import('./compare.mjs').Snapshot>}
 */
export async function snapshot({ databaseUrl, brokers }) {
  const url = (/** @type {string} */ name) => databaseUrl(serviceNamed(name).database);
  const producers = services.filter((service) => service.produces.includes('purchases.v1'));
  // The databases first, then the topics: whatever a store says it forwarded is on the topic by the
  // time the topic's end offsets are taken, so a forwarded event missing from the topic is real.
  const [produced, accountInbox, licenseInbox, license, orders, awaitingReview] = await Promise.all([
    Promise.all(
      producers.map(async (service) => [service.name, await producedPurchaseEvents(url(service.name))]),
    ),
    inboxOf(url('account')),
    inboxOf(url('license')),
    licenseReadModel(url('license')),
    resellerOrders(url('reseller-intake')),
    purchaseOrdersAwaitingReview(url('po-intake')),
  ]);
  const { events, unreadable } = await readTopics(brokers, ['purchases.v1', 'accounts.v1']);
  return {
    produced: Object.fromEntries(produced),
    purchasesTopic: events.get('purchases.v1') ?? [],
    accountsTopic: events.get('accounts.v1') ?? [],
    accountInbox,
    licenseInbox,
    license,
    resellerOrders: orders,
    awaitingReview,
    deadLetters: await deadLetters(brokers, allTopics()),
    unreadable,
  };
}

/**
 * @param {{ databaseUrl: (database: string) => string, brokers: string, stuckAfterSeconds: number, now?: () => Date }} options
 */
export async function reconcilePlatform({ databaseUrl, brokers, stuckAfterSeconds, now = () => new Date() }) {
  const taken = await snapshot({ databaseUrl, brokers });
  return reconcile(taken, { now: now(), stuckAfterSeconds });
}

/** Whether the report has anything an operator must act on. @param {import('./compare.mjs').Reconciliation} result */
export function needsAttention(result) {
  return result.stuck.length + result.inconsistent.length + Object.keys(result.deadLetters).length > 0;
}

/** @param {number} seconds */
export function age(seconds) {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/**
 * The report an operator reads.
 * @param {import('./compare.mjs').Reconciliation} result @param {number} stuckAfterSeconds
 */
export function format(result, stuckAfterSeconds) {
  const lines = ['purchases by stage reached:'];
  for (const stage of STAGES) lines.push(`  ${stage.padEnd(10)} ${String(result.counts[stage]).padStart(8)}`);
  lines.push(`  still moving (younger than ${age(stuckAfterSeconds)}): ${result.inFlight}`);
  const { total, overdue } = result.awaitingReview;
  lines.push(`purchase orders awaiting the sales desk: ${total} (${overdue.length} overdue)`);
  for (const order of overdue)
    lines.push(
      `  PO ${order.poNumber} (${order.purchaseOrderId}) received ${order.receivedAt}, due by ${order.dueBy}`,
    );
  lines.push('', `stuck (not through after ${age(stuckAfterSeconds)}): ${result.stuck.length}`);
  for (const entry of result.stuck)
    lines.push(
      `  ${age(entry.ageSeconds).padStart(7)}  ${entry.channel} ${entry.externalRef} (purchase ${entry.purchaseId}): ${entry.stoppedAt}`,
    );
  lines.push('', `inconsistent: ${result.inconsistent.length}`);
  for (const entry of result.inconsistent) lines.push(`  ${entry.subject}: ${entry.problem}`);
  const dead = Object.entries(result.deadLetters);
  lines.push('', `dead-letter topics holding records: ${dead.length}`);
  for (const [topic, count] of dead) lines.push(`  ${topic}: ${count}`);
  return lines.join('\n');
}
