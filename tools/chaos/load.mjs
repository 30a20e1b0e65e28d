// Steady load through every purchase channel plus lease traffic, each client behaving as the real one
// does when the platform misbehaves: the store re-delivers a webhook under the same `webhook-id`, the
// sales desk re-submits a PO (and takes the order a 409 names) and re-approves it, the reseller's
// system retries under the same `Idempotency-Key`, a device asks for its seat again. An order counts as
// accepted once a channel answered 2xx for it; until then it is retried (connection refused, reset,
// timeouts, 5xx, 409 in flight, 429) up to the retry deadline.
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { orderKey } from './plan.mjs';

/** @typedef {import('./plan.mjs').AcceptedOrder} AcceptedOrder */

const SKUS = [
  { sku: 'BARCODE-JS-DEVICE-1Y', unitPrice: '1249.00' },
  { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', unitPrice: '899.00' },
  { sku: 'BARCODE-SERVER-INSTANCE-PERP', unitPrice: '4999.00' },
];

/** @param {number} cents */
const money = (cents) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

/**
 * 1–2 lines of distinct SKUs, their total, for a buyer.
 * @param {ReturnType<typeof import('./plan.mjs').random>} rng
 */
function lines(rng) {
  const count = rng.int(1, 2);
  const start = rng.int(0, SKUS.length - 1);
  const items = Array.from({ length: count }, (_, i) => ({
    ...SKUS[(start + i) % SKUS.length],
    quantity: rng.int(1, 3),
  })).map(({ sku, unitPrice, quantity }) => ({ sku, quantity, unitPrice }));
  const cents = items.reduce(
    (sum, item) => sum + Math.round(Number(item.unitPrice) * 100) * item.quantity,
    0,
  );
  return { items, total: money(cents) };
}

/**
 * @typedef {object} Attempt
 * @property {number} status  0 when no answer came (refused, reset, timed out)
 * @property {any} body
 */

/**
 * @param {string} url @param {RequestInit} init
 * @returns {Promise<Attempt>}
 */
async function call(url, init) {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    let body;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: response.status, body };
  } catch {
    return { status: 0, body: undefined };
  }
}

/** Answers worth retrying: no answer, a 5xx, rate limited, or in flight elsewhere. */
const transient = (/** @type {number} */ status) => status === 0 || status >= 500 || status === 429;

/**
 * Stats of one load run; `accepted` orders are what the verdict checks.
 */
export class LoadRecord {
  /** @type {AcceptedOrder[]} */
  accepted = [];
  /** @type {Set<string>} orders given up on at the deadline */
  abandoned = new Set();
  /** @type {Record<string, number>} */
  sent = { store: 0, 'purchase-order': 0, reseller: 0 };
  attempts = 0;
  retries = 0;
  /** @type {{ order: string, status: number, body: unknown }[]} a 4xx nobody expected: the run fails */
  refused = [];
  leases = { requests: 0, granted: 0, exhausted: 0, released: 0, retried: 0, overSeated: 0 };
}

/**
 * Retries `once` until it gives a definitive answer or the deadline passes.
 * @param {LoadRecord} record
 * @param {() => number} deadline epoch ms
 * @param {() => Promise<Attempt>} once
 */
async function persist(record, deadline, once) {
  for (let attempt = 0; ; attempt++) {
    record.attempts += 1;
    const answer = await once();
    if (!transient(answer.status)) return answer;
    if (Date.now() > deadline()) return undefined;
    record.retries += 1;
    await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
  }
}

/**
 * @param {{ stack: import('./stack.mjs').ChaosStack, rng: ReturnType<typeof import('./plan.mjs').random>,
 *   record: LoadRecord, run: string, deadline: () => number }} context
 */
export function storeChannel({ stack, rng, record, run, deadline }) {
  const secret = stack.secrets.STORE_WEBHOOK_SECRET;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  let n = 0;
  /** Returning buyers now and then, so existing accounts get purchases too. */
  const buyers = /** @type {string[]} */ ([]);
  return async function order() {
    const externalRef = `CHAOS-${run}-S${++n}`;
    const returning = buyers.length > 0 && rng.next() < 0.3;
    const email = returning ? rng.pick(buyers) : `store.${run}.${n}@chaos.example`;
    if (!returning) buyers.push(email);
    const { items, total } = lines(rng);
    const body = JSON.stringify({
      type: 'order.completed',
      data: {
        orderId: externalRef,
        completedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        currency: 'USD',
        customer: { email, name: 'Chaos Buyer', company: null },
        items,
        total,
      },
    });
    const id = `msg_${run}_${n}`;
    record.sent.store += 1;
    const answer = await persist(record, deadline, () => {
      // A re-delivery keeps its id and is signed anew at the moment it is sent.
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
      return call(`${stack.urls['store-webhook']}/v1/webhooks/store`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': timestamp,
          'webhook-signature': `v1,${signature}`,
        },
        body,
      });
    });
    settle(record, { channel: 'store', externalRef, lines: items.length }, answer);
  };
}

/**
 * @param {LoadRecord} record @param {AcceptedOrder} order @param {Attempt | undefined} answer
 */
function settle(record, order, answer) {
  if (!answer) record.abandoned.add(orderKey(order));
  else if (answer.status >= 200 && answer.status < 300) record.accepted.push(order);
  else record.refused.push({ order: orderKey(order), status: answer.status, body: answer.body });
}

/** A small but real PDF, as the desk scans them. */
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
).toString('base64');

/**
 * Staff tokens that are fetched again when refused (expired, or the account service restarted).
 * @param {{ accessToken(): Promise<string> }} member
 */
function tokenOf(member) {
  /** @type {string | undefined} */
  let token;
  return {
    async get() {
      token ??= await member.accessToken();
      return token;
    },
    forget: () => (token = undefined),
  };
}

/**
 * @param {{ stack: import('./stack.mjs').ChaosStack, rng: ReturnType<typeof import('./plan.mjs').random>,
 *   record: LoadRecord, run: string, deadline: () => number,
 *   rep: { accessToken(): Promise<string> }, manager: { accessToken(): Promise<string> } }} context
 */
export function purchaseOrderChannel({ stack, rng, record, run, deadline, rep, manager }) {
  const repToken = tokenOf(rep);
  const managerToken = tokenOf(manager);
  const base = stack.urls['po-intake'];
  let n = 0;
  /**
   * @param {ReturnType<typeof tokenOf>} token @param {string} path @param {unknown} body
   * @returns {Promise<Attempt>}
   */
  const post = async (token, path, body) => {
    let bearer;
    try {
      bearer = await token.get();
    } catch {
      return { status: 0, body: undefined }; // the account service is down: try again later
    }
    const answer = await call(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    });
    if (answer.status === 401) {
      token.forget();
      return { status: 0, body: answer.body };
    }
    return answer;
  };
  return async function order() {
    const poNumber = `CHAOS-${run}-P${++n}`;
    const { items, total } = lines(rng);
    const order = {
      channel: /** @type {const} */ ('purchase-order'),
      externalRef: poNumber,
      lines: items.length,
    };
    record.sent['purchase-order'] += 1;
    const submitted = await persist(record, deadline, () =>
      post(repToken, '/v1/purchase-orders', {
        poNumber,
        customer: { email: `po.${run}.${n}@chaos.example`, name: 'Chaos Buyer', company: 'Chaos GmbH' },
        items,
        currency: 'EUR',
        total,
        document: { filename: `${poNumber}.pdf`, contentType: 'application/pdf', contentBase64: PDF },
      }),
    );
    // A lost 201 and a re-submission: the 409 names the order the first attempt made.
    const id =
      submitted?.status === 201
        ? submitted.body?.purchaseOrderId
        : submitted?.status === 409
          ? submitted.body?.existingPurchaseOrderId
          : undefined;
    if (!id) return settle(record, order, submitted);
    const approved = await persist(record, deadline, () =>
      post(managerToken, `/v1/purchase-orders/${id}/approval`, {}),
    );
    settle(record, order, approved);
  };
}

/**
 * @param {{ stack: import('./stack.mjs').ChaosStack, rng: ReturnType<typeof import('./plan.mjs').random>,
 *   record: LoadRecord, run: string, deadline: () => number, apiKey: string }} context
 */
export function resellerChannel({ stack, rng, record, run, deadline, apiKey }) {
  let n = 0;
  return async function order() {
    const resellerOrderRef = `CHAOS-${run}-R${++n}`;
    const { items, total } = lines(rng);
    const body = JSON.stringify({
      resellerOrderRef,
      customer: { email: `reseller.${run}.${n}@chaos.example`, name: 'Chaos Buyer', company: 'Chaos Ltd' },
      items,
      currency: 'USD',
      total,
    });
    const idempotencyKey = randomUUID();
    record.sent.reseller += 1;
    const answer = await persist(record, deadline, async () => {
      const attempt = await call(`${stack.urls['reseller-intake']}/v1/reseller/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${apiKey}`,
          'idempotency-key': idempotencyKey,
        },
        body,
      });
      // 409 while the first attempt is still in flight (say, cut off by a kill): ask again.
      return attempt.status === 409 && String(attempt.body?.type ?? '').includes('in-flight')
        ? { status: 0, body: attempt.body }
        : attempt;
    });
    settle(record, { channel: 'reseller', externalRef: resellerOrderRef, lines: items.length }, answer);
  };
}

/**
 * Devices taking and giving back seats of one activated licence: each asks for a seat, beats, and
 * lets it go; there are twice as many devices as seats, so many requests meet a full licence.
 * After every grant the licence's usage is read back: seats in use above seats total is counted.
 * @param {{ stack: import('./stack.mjs').ChaosStack, rng: ReturnType<typeof import('./plan.mjs').random>,
 *   record: LoadRecord, licenseKey: string, seats: number }} context
 */
export function leaseTraffic({ stack, rng, record, licenseKey, seats }) {
  const tracking = stack.urls.tracking;
  /** @type {Map<string, string>} clientId => leaseId */
  const held = new Map();
  const clients = Array.from({ length: seats * 2 }, (_, i) => `chaos-device-${i}`);
  const json = { 'content-type': 'application/json' };
  return async function step() {
    const clientId = rng.pick(clients);
    const leaseId = held.get(clientId);
    record.leases.requests += 1;
    if (leaseId && rng.next() < 0.5) {
      const answer = await call(`${tracking}/v1/lts/leases/${leaseId}`, { method: 'DELETE' });
      if (answer.status === 204 || answer.status === 404 || answer.status === 410) {
        held.delete(clientId);
        record.leases.released += 1;
      } else record.leases.retried += 1;
      return;
    }
    if (leaseId) {
      const answer = await call(`${tracking}/v1/lts/leases/${leaseId}/heartbeat`, { method: 'POST' });
      if (answer.status === 410 || answer.status === 404) held.delete(clientId);
      else if (answer.status !== 200) record.leases.retried += 1;
      return;
    }
    const answer = await call(`${tracking}/v1/lts/leases`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ licenseKey, clientId }),
    });
    if (answer.status === 201 || answer.status === 200) {
      held.set(clientId, answer.body.leaseId);
      record.leases.granted += 1;
      const usage = await call(`${tracking}/v1/lts/licenses/${encodeURIComponent(licenseKey)}/usage`, {});
      if (usage.status === 200) {
        for (const product of usage.body) {
          if (product.seatsInUse > product.seatsTotal) record.leases.overSeated += 1;
        }
      }
    } else if (answer.status === 409) record.leases.exhausted += 1;
    else if (transient(answer.status)) record.leases.retried += 1;
    else record.refused.push({ order: `lease ${clientId}`, status: answer.status, body: answer.body });
  };
}

/**
 * Runs `action` about `rate` times per second until `until` (epoch ms), at most `concurrency` at once,
 * and then waits for those in flight.
 * @param {{ rate: number, until: number, concurrency: number, action: () => Promise<void> }} options
 */
export async function steady({ rate, until, concurrency, action }) {
  /** @type {Set<Promise<void>>} */
  const inFlight = new Set();
  const started = Date.now();
  for (let i = 0; ; i++) {
    const due = started + (i * 1000) / rate;
    if (due > until) break;
    if (due > Date.now()) await sleep(due - Date.now());
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const task = action().finally(() => inFlight.delete(task));
    inFlight.add(task);
  }
  await Promise.all(inFlight);
}
